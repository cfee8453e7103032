import {Flags} from '@oclif/core'
import {BaseCommand} from './_shared/base-command.js'
import {outputFlags, outputFormat} from './_shared/flags.js'
import {listHistory} from '../src/operations/history.js'
import {renderHistoryTable} from '../src/render/tables.js'

export default class History extends BaseCommand {
  static override summary = 'List past applies from the audit table: when, who, what changed, outcome.'
  static override examples = ['<%= config.bin %> history', '<%= config.bin %> history --json --limit 5']
  static override flags = {
    ...outputFlags(['text', 'json', 'yaml']),
    limit: Flags.integer({description: 'how many runs, newest first', default: 20, min: 1}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(History)
    const runs = await listHistory(this.where(flags), flags.limit)
    this.emit(outputFormat(flags), runs, {text: () => renderHistoryTable(runs)})
  }
}
