import {Args, Flags} from '@oclif/core'
import {stringify} from 'yaml'
import {BaseCommand} from './_shared/base-command.js'
import {openStateReadOnly} from './_shared/open-state-readonly.js'
import {describeBackend, describeSecret} from '../src/engine/inspect.js'

export default class Describe extends BaseCommand {
  static override summary = 'Show one backend or secret in detail (config credentials masked, never values).'
  static override examples = ['<%= config.bin %> describe backend default', '<%= config.bin %> describe secret github -o json']
  static override args = {
    resource: Args.string({description: 'what to describe', required: true, options: ['backend', 'secret']}),
    name: Args.string({description: 'its name', required: true}),
  }
  static override flags = {
    output: Flags.string({char: 'o', description: 'output format', options: ['yaml', 'json'], default: 'yaml'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Describe)
    const state = await openStateReadOnly(flags)
    try {
      const view = args.resource === 'backend' ? await describeBackend(state, args.name) : await describeSecret(state, args.name)
      if (flags.output === 'json') this.printJson(view)
      else this.print(stringify(view))
    } finally {
      await state.close()
    }
  }
}
