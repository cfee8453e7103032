import {Args} from '@oclif/core'
import {BaseCommand} from './_shared/base-command.js'
import {outputFlags, outputFormat} from './_shared/flags.js'
import {describeResource} from '../src/operations/inspect-state.js'

export default class Describe extends BaseCommand {
  static override summary = 'Show one backend or secret in detail (config credentials masked, never values).'
  static override examples = ['<%= config.bin %> describe backend default', '<%= config.bin %> describe secret github -o json']
  static override args = {
    resource: Args.string({description: 'what to describe', required: true, options: ['backend', 'secret']}),
    name: Args.string({description: 'its name', required: true}),
  }
  static override flags = {...outputFlags(['yaml', 'json'], 'yaml')}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Describe)
    this.emit(outputFormat(flags), await describeResource(this.where(flags), args.resource as 'backend' | 'secret', args.name))
  }
}
