import {Flags} from '@oclif/core'
import {BaseCommand} from '../_shared/base-command.js'
import {accessPolicies} from '../../src/operations/access-policies.js'
import {ACCESS_ROLES, type AccessRole} from '../../src/backends/kind.js'
import {renderAccessPolicies} from '../../src/render/access-policies.js'

export default class RbacPrint extends BaseCommand {
  static override summary = "Print the Postgres GRANTs of a least-privilege role, and each backend's policy for it."
  static override description =
    `planner: plan only (reads the state without the plaintext value columns; on each backend, metadata read and list).
applier: plan and apply (reads and writes the state; on each backend, write, read and delete under secretctl's prefix).
rotator: token rotation (the token rows and token metadata; on each backend, what minting and retiring its token needs).
Prints SQL for the state database, then one policy per backend in the manifests whose kind has one (e.g. OpenBao HCL).`
  static override examples = [
    '<%= config.bin %> rbac print --role planner --db-role secretctl_planner | psql "$ADMIN_URL"',
    '<%= config.bin %> rbac print --role applier --backend bao -d infra/secrets',
  ]
  static override flags = {
    role: Flags.string({description: 'the role', options: [...ACCESS_ROLES], required: true}),
    backend: Flags.string({description: 'only this backend (default: every backend in the manifests that has a policy)'}),
    'db-role': Flags.string({description: 'the Postgres role to grant to (default: secretctl_ROLE)'}),
    schema: Flags.string({description: 'the Postgres schema holding the state', default: 'public'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(RbacPrint)
    const policies = await accessPolicies({
      dir: flags.dir,
      role: flags.role as AccessRole,
      backend: flags.backend,
      dbRole: flags['db-role'],
      schema: flags.schema,
    })
    this.print(renderAccessPolicies(policies))
  }
}
