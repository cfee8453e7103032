import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../_shared/base-command.js'
import {lockFlags, lockTimeoutMs, outputFlags, outputFormat} from '../_shared/flags.js'
import {readNewPassword} from '../_shared/read-secret-input.js'
import {rekeyBackend} from '../../src/operations/rekey-backend.js'
import {renderRekeyText} from '../../src/render/rekey-text.js'

export default class BackendRekey extends BaseCommand {
  static override summary = "Change an encrypted backend's password: every value encrypted again under a new key."
  static override description =
    'Opens the store with the current password (SECRETCTL_ENCRYPTION_PASSWORD or passwordEnv, the OS keyring, or a prompt), then takes the new one (typed twice at a hidden prompt, or --new-password-stdin), draws a new salt, derives a key with the Argon2id cost of the backend config, and encrypts every value again in one step: one state-database transaction, or one atomic replace of the store file. Interrupted before that step, nothing changed and the old password still works. Takes the state lock; recorded in history. When the old password came from the OS keyring, the new one replaces it there.'
  static override examples = [
    '<%= config.bin %> backend rekey vault',
    'printf %s "$NEW" | <%= config.bin %> backend rekey vault --new-password-stdin',
  ]
  static override args = {name: Args.string({description: 'the encrypted backend', required: true})}
  static override flags = {
    'new-password-stdin': Flags.boolean({description: 'read the new password from stdin instead of a prompt'}),
    ...lockFlags,
    ...outputFlags(['text', 'json']),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(BackendRekey)
    const result = await rekeyBackend({
      ...this.where(flags),
      backend: args.name,
      newPassword: () => readNewPassword(flags['new-password-stdin'], `encrypted backend ${args.name}`),
      lockTimeoutMs: lockTimeoutMs(flags['lock-timeout']),
      onTakeover: this.sayTakeover,
    })
    this.emit(outputFormat(flags), result, {text: () => renderRekeyText(result, this.colour)})
  }
}
