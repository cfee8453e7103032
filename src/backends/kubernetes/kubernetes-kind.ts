/**
 * The `kubernetes` backend kind: one Kubernetes Secret per secret, in a namespace, reached through
 * a kubeconfig, the pod's service account or a server and token; drift from resourceVersion,
 * check-and-set writes, ownership marked and respected, the Role of `rbac print`, and what
 * `secretctl render` prints. Registered by one line in ../registry.ts.
 */
import type {BackendKind} from '../kind.js'
import {withKubernetesDefaults} from './kubernetes-config.js'
import {createKubernetesDriver, KUBERNETES_CAPABILITIES} from './kubernetes-driver.js'
import {kubernetesAccessPolicy} from './kubernetes-policy.js'
import {kubernetesRender} from './kubernetes-render.js'
import {kubernetesImport} from './kubernetes-import.js'
import schema from './kubernetes-schema.json' with {type: 'json'}

export const kubernetesKind: BackendKind = {
  type: 'kubernetes',
  aliases: [],
  summary: 'one Kubernetes Secret per secret, in a namespace',
  capabilities: KUBERNETES_CAPABILITIES,
  configSchema: schema.config,
  configRequired: false,
  withDefaults: withKubernetesDefaults,
  createDriver: createKubernetesDriver,
  accessPolicy: kubernetesAccessPolicy,
  render: kubernetesRender,
  import: kubernetesImport,
}
