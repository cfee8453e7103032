import {Args} from '@oclif/core'
import {BaseCommand} from '../_shared/base-command.js'
import {lockFlags, lockTimeoutMs} from '../_shared/flags.js'
import {rotateBackend} from '../../src/operations/rotate-backend.js'
import {renderApplyText} from '../../src/render/apply-text.js'

export default class RotateBackend extends BaseCommand {
  static override summary = "Rotate a backend's token now, whatever its age."
  static override description =
    "Mints a successor through the backend's token role, verifies it (periodic, renewable, can write/read/delete under the prefix), stores it on the trust root with its metadata in one transaction, then revokes the old token. A failed mint or verify keeps the old token and exits 1."
  static override examples = ['<%= config.bin %> rotate backend bao -d infra/secrets']
  static override args = {name: Args.string({description: 'the backend', required: true})}
  static override flags = {...lockFlags}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(RotateBackend)
    const result = await rotateBackend({
      ...this.where(flags),
      backend: args.name,
      lockTimeoutMs: lockTimeoutMs(flags['lock-timeout']),
      onTakeover: this.sayTakeover,
    })
    this.print(renderApplyText(result, this.colour))
    if (!result.ok) process.exitCode = 1
  }
}
