import {Args, Flags} from '@oclif/core'
import {BaseCommand} from './_shared/base-command.js'
import {outputFormat} from './_shared/flags.js'
import {getResources} from '../src/operations/inspect-state.js'
import {renderResourceTable} from '../src/render/tables.js'

export default class Get extends BaseCommand {
  static override summary = 'List the backends or secrets the state records (never values).'
  static override examples = ['<%= config.bin %> get backends', '<%= config.bin %> get secrets -d infra/secrets -o json']
  static override args = {
    resource: Args.string({description: 'what to list', required: true, options: ['backends', 'secrets']}),
  }
  static override flags = {
    // `table` is the text format's old name, kept.
    output: Flags.string({char: 'o', description: 'output format', options: ['text', 'table', 'json', 'yaml'], default: 'text'}),
    json: Flags.boolean({description: 'shorthand for -o json'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Get)
    const listed = await getResources(this.where(flags), args.resource as 'backends' | 'secrets')
    this.emit(outputFormat(flags), listed.rows, {text: () => renderResourceTable(listed)})
  }
}
