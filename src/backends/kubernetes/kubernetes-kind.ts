/**
 * The `kubernetes` backend kind: one Kubernetes Secret per secret, in a namespace, reached through
 * a kubeconfig, the pod's service account or a server and token; drift from resourceVersion,
 * check-and-set writes, ownership marked and respected, the Role of `rbac print`, and what
 * `secretctl render` prints. Registered by one line in ../registry.ts.
 */
import type {BackendCapabilities, BackendKind} from '../kind.js'
import {withKubernetesDefaults} from './kubernetes-config.js'
import {kubernetesAccessPolicy} from './kubernetes-policy.js'
import {kubernetesRender} from './kubernetes-render.js'
import schema from './kubernetes-schema.json' with {type: 'json'}

export const KUBERNETES_CAPABILITIES: BackendCapabilities = {
  readOnly: false,
  versioned: true,
  storesInState: false,
  rotatableToken: false,
  listable: true,
  marksOwnership: true,
}

export const kubernetesKind: BackendKind = {
  type: 'kubernetes',
  aliases: [],
  summary: 'one Kubernetes Secret per secret, in a namespace',
  capabilities: KUBERNETES_CAPABILITIES,
  configSchema: schema.config,
  configRequired: false,
  withDefaults: withKubernetesDefaults,
  load: async () => ({createDriver: (await import('./kubernetes-driver.js')).createKubernetesDriver}),
  accessPolicy: kubernetesAccessPolicy,
  render: kubernetesRender,
  import: {
    find: async (driver, options) => (await import('./kubernetes-import.js')).kubernetesImport.find(driver, options),
    claim: async (driver, secretName, fingerprints, version) =>
      (await import('./kubernetes-import.js')).kubernetesImport.claim?.(driver, secretName, fingerprints, version) ?? version,
  },
}
