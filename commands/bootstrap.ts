import {Args} from '@oclif/core'
import {BaseCommand} from './_shared/base-command.js'
import {bootstrapFlags, lockTimeoutMs} from './_shared/flags.js'
import {readAdminToken} from './_shared/read-secret-input.js'
import {bootstrapBackend, bootstrapKinds} from '../src/operations/bootstrap-backend.js'
import {renderBootstrap} from '../src/render/bootstrap-text.js'

export default class Bootstrap extends BaseCommand {
  static override summary =
    'Set a backend up in one command: on the server (e.g. OpenBao: mount, policy, token role, first token), then the manifests and the state.'
  static override description =
    `With an admin token (hidden prompt on a terminal, --admin-token-stdin, or the kind's variable such as SECRETCTL_BAO_ADMIN_TOKEN; never a flag value) the kind's wizard sets the server up and mints the backend's first token; the backend and the token (on the trust root) are then recorded through plan and apply, and the backend manifest and a placement-only token secret are written into the manifests directory.
The admin token is used in memory only and persisted nowhere. Types with a wizard: ${bootstrapKinds().join(', ')}.`
  static override examples = [
    '<%= config.bin %> bootstrap openbao bao --url https://bao.internal:8200 -d infra/secrets',
    'echo "$ADMIN" | <%= config.bin %> bootstrap openbao bao --url http://127.0.0.1:8200 --admin-token-stdin --no-default',
  ]
  static override args = {
    type: Args.string({description: 'backend type', required: true, options: bootstrapKinds()}),
    name: Args.string({description: 'name of the new backend', required: true}),
  }
  static override flags = bootstrapFlags()

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Bootstrap)
    const adminToken = await readAdminToken(args.type, flags['admin-token-stdin'])
    const makeDefault = !flags['no-default']
    const result = await bootstrapBackend({
      ...this.where(flags),
      lockTimeoutMs: lockTimeoutMs(flags['lock-timeout']),
      onTakeover: this.sayTakeover,
      type: args.type,
      name: args.name,
      options: {...flags, env: undefined},
      adminToken,
      makeDefault,
    })
    this.print(renderBootstrap(result, {name: args.name, dir: flags.dir, isDefault: makeDefault}, this.colour))
  }
}
