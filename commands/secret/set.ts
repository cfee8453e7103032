import {Args} from '@oclif/core'
import {BaseCommand} from '../_shared/base-command.js'
import {lockFlags, lockTimeoutMs, outputFlags, outputFormat} from '../_shared/flags.js'
import {readSecretValue} from '../_shared/read-secret-input.js'
import {setSecretValue} from '../../src/operations/secret-values.js'

export default class SecretSet extends BaseCommand {
  static override summary = 'Set one key of a placement-only secret on the backend it is placed on, and record it.'
  static override description =
    'The value comes from stdin, or from a hidden prompt at a terminal: never from the command line. Refused for a key that has a data source (secretctl writes it from there) and for a read-only backend. Takes the state lock; recorded in history.'
  static override examples = [
    'printf %s "$TOKEN" | <%= config.bin %> secret set github GITHUB_TOKEN',
    '<%= config.bin %> secret set github GITHUB_TOKEN',
  ]
  static override args = {
    name: Args.string({description: 'the secret', required: true}),
    key: Args.string({description: 'the key', required: true}),
  }
  static override flags = {...lockFlags, ...outputFlags(['text', 'json'])}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(SecretSet)
    const value = await readSecretValue(`value of ${args.key} for secret ${args.name} (not shown): `)
    const request = {
      ...this.where(flags),
      name: args.name,
      key: args.key,
      value,
      lockTimeoutMs: lockTimeoutMs(flags['lock-timeout']),
      onTakeover: this.sayTakeover,
    }
    const r = await setSecretValue(request)
    this.emit(outputFormat(flags), r, {
      text: () => `${r.created ? 'Created' : 'Updated'} secret ${r.name}: ${r.key} set on ${r.backend}.\n`,
    })
  }
}
