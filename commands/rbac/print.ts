import {Flags} from '@oclif/core'
import {BaseCommand} from '../_shared/base-command.js'
import {loadManifests} from '../../src/manifests/load-manifests.js'
import {postgresGrants, STATE_ROLES, type StateRole} from '../../src/rbac/postgres-grants.js'
import {applierPolicy, plannerPolicy, rotatorPolicy} from '../../src/bootstrap/narrow-policy.js'
import {UsageError} from '../../src/errors.js'

export default class RbacPrint extends BaseCommand {
  static override summary = 'Print the Postgres GRANTs and the OpenBao policies of a least-privilege role.'
  static override description = `planner: plan only (reads the state without the plaintext value columns; OpenBao metadata read and list).
applier: plan and apply (reads and writes the state; OpenBao KV data create/read/update and metadata read/list/delete under the prefix).
rotator: token rotation (the token rows and token metadata; OpenBao token create through the role, lookup-self, revoke-accessor).
Prints SQL for the state database and one HCL policy per openbao backend in the manifests.`
  static override examples = [
    '<%= config.bin %> rbac print --role planner --db-role secretctl_planner | psql "$ADMIN_URL"',
    '<%= config.bin %> rbac print --role applier --backend bao -d infra/secrets',
  ]
  static override flags = {
    role: Flags.string({description: 'the role', options: STATE_ROLES, required: true}),
    backend: Flags.string({description: 'only this openbao backend (default: every openbao backend in the manifests)'}),
    'db-role': Flags.string({description: 'the Postgres role to grant to (default: secretctl_ROLE)'}),
    schema: Flags.string({description: 'the Postgres schema holding the state', default: 'public'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(RbacPrint)
    const role = flags.role as StateRole
    const desired = await loadManifests(flags.dir)
    const backends = desired.backends.filter((b) => b.type === 'openbao' && (!flags.backend || b.name === flags.backend))
    if (flags.backend && !backends.length) throw new UsageError(`no openbao backend named ${flags.backend} in the manifests`)
    this.print(postgresGrants(role, {dbRole: flags['db-role'] ?? `secretctl_${role}`, schema: flags.schema}))
    for (const b of backends) {
      const scope = {
        mount: String(b.config.mount ?? 'secret'),
        pathPrefix: String(b.config.pathPrefix ?? 'secretctl'),
        tokenRole: b.rotation?.tokenRole,
      }
      if (role === 'rotator' && !scope.tokenRole) {
        this.print(`\n# backend ${b.name}: no rotation settings, nothing to rotate\n`)
        continue
      }
      const hcl = role === 'planner' ? plannerPolicy(scope) : role === 'applier' ? applierPolicy(scope) : rotatorPolicy(scope)
      this.print(`\n# OpenBao policy for backend ${b.name} (write it with: bao policy write secretctl-${role}-${b.name} FILE)\n${hcl}`)
    }
  }
}
