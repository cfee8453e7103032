/**
 * The flags of `secretctl bootstrap openbao` and where its admin token may come from: plain data the
 * command line is built from on every run, apart from the wizard's code (openbao-bootstrap.ts),
 * which is imported only when the wizard runs.
 */
import type {BootstrapWizard} from '../kind.js'
import {OPENBAO_DEFAULTS} from './openbao-config.js'

export const OPENBAO_BOOTSTRAP_OPTIONS: Pick<BootstrapWizard, 'adminTokenVariable' | 'options'> = {
  adminTokenVariable: 'SECRETCTL_BAO_ADMIN_TOKEN',
  options: [
    {name: 'url', type: 'string', description: 'OpenBao address', required: true},
    {name: 'mount', type: 'string', description: 'KV v2 mount (created when missing)', default: OPENBAO_DEFAULTS.mount},
    {name: 'path-prefix', type: 'string', description: 'secrets land at MOUNT/data/PREFIX/NAME', default: OPENBAO_DEFAULTS.pathPrefix},
    {name: 'namespace', type: 'string', description: 'OpenBao namespace (X-Vault-Namespace)'},
    {name: 'policy-name', type: 'string', description: 'name of the policy to write', default: 'secretctl'},
    {name: 'token-role', type: 'string', description: 'name of the token role to write', default: 'secretctl'},
    {name: 'period', type: 'string', description: 'rotate the token when older than this', default: '24h'},
    {
      name: 'ttl',
      type: 'string',
      description: 'token period on the role: a token not renewed or rotated within it stops working',
      default: '720h',
    },
  ],
}
