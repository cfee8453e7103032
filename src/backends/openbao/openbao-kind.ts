/**
 * The `openbao` backend kind (alias `vault`): secrets in an OpenBao / HashiCorp Vault KV v2 mount,
 * with drift from metadata versions, check-and-set writes, token rotation, a bootstrap wizard
 * and the policies of `rbac print`. Registered by one line in ../registry.ts.
 */
import type {BackendCapabilities, BackendKind} from '../kind.js'
import {withOpenBaoDefaults} from './openbao-config.js'
import {OPENBAO_BOOTSTRAP_OPTIONS} from './openbao-bootstrap-options.js'
import {openBaoAccessPolicy} from './openbao-policy.js'
import {openBaoRender} from './openbao-external-secrets.js'
import schema from './openbao-schema.json' with {type: 'json'}

export const OPENBAO_CAPABILITIES: BackendCapabilities = {
  readOnly: false,
  versioned: true,
  storesInState: false,
  rotatableToken: true,
  listable: true,
}

export const openBaoKind: BackendKind = {
  type: 'openbao',
  aliases: ['vault'],
  summary: 'an OpenBao / Vault KV v2 mount',
  capabilities: OPENBAO_CAPABILITIES,
  configSchema: schema.config,
  configRequired: true,
  rotationSchema: schema.rotation,
  withDefaults: withOpenBaoDefaults,
  load: async () => ({createDriver: (await import('./openbao-driver.js')).createOpenBaoDriver}),
  tokenRotation: {rotate: async (ctx) => (await import('./openbao-token-rotation.js')).openBaoTokenRotation.rotate(ctx)},
  bootstrap: {...OPENBAO_BOOTSTRAP_OPTIONS, setUp: async (req) => (await import('./openbao-bootstrap.js')).openBaoBootstrap.setUp(req)},
  accessPolicy: openBaoAccessPolicy,
  render: openBaoRender,
  import: {find: async (driver, options) => (await import('./openbao-import.js')).openBaoImport.find(driver, options)},
}
