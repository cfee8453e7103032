/**
 * The `openbao` backend kind (alias `vault`): secrets in an OpenBao / HashiCorp Vault KV v2 mount,
 * with drift from metadata versions, check-and-set writes, token rotation, a bootstrap wizard
 * and the policies of `rbac print`. Registered by one line in ../registry.ts.
 */
import type {BackendKind} from '../kind.js'
import {withOpenBaoDefaults} from './openbao-config.js'
import {createOpenBaoDriver, OPENBAO_CAPABILITIES} from './openbao-driver.js'
import {openBaoBootstrap} from './openbao-bootstrap.js'
import {openBaoAccessPolicy} from './openbao-policy.js'
import {openBaoTokenRotation} from './openbao-token-rotation.js'
import {openBaoRender} from './openbao-external-secrets.js'
import {openBaoImport} from './openbao-import.js'
import schema from './openbao-schema.json' with {type: 'json'}

export const openBaoKind: BackendKind = {
  type: 'openbao',
  aliases: ['vault'],
  summary: 'an OpenBao / Vault KV v2 mount',
  capabilities: OPENBAO_CAPABILITIES,
  configSchema: schema.config,
  configRequired: true,
  rotationSchema: schema.rotation,
  withDefaults: withOpenBaoDefaults,
  createDriver: createOpenBaoDriver,
  tokenRotation: openBaoTokenRotation,
  bootstrap: openBaoBootstrap,
  accessPolicy: openBaoAccessPolicy,
  render: openBaoRender,
  import: openBaoImport,
}
