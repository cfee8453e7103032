import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../_shared/base-command.js'
import {revealSecretValue} from '../../src/operations/secret-values.js'

export default class SecretGet extends BaseCommand {
  static override summary = 'Print one value of a secret, read from wherever it lives now (needs --reveal).'
  static override description =
    'Reads through the state and the backend the secret lives on, like exec. Refused without --reveal, at a terminal or not; every reveal is recorded in history (never the value).'
  static override examples = ['<%= config.bin %> secret get github GITHUB_TOKEN --reveal | gh auth login --with-token']
  static override args = {
    name: Args.string({description: 'the secret', required: true}),
    key: Args.string({description: 'the key', required: true}),
  }
  static override flags = {
    reveal: Flags.boolean({description: 'print the value'}),
    newline: Flags.boolean({description: 'end the value with a newline', default: true, allowNo: true}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(SecretGet)
    const value = await revealSecretValue({...this.where(flags), name: args.name, key: args.key, reveal: flags.reveal})
    this.print(flags.newline ? `${value}\n` : value)
  }
}
