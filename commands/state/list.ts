import {BaseCommand} from '../_shared/base-command.js'
import {outputFlags, outputFormat} from '../_shared/flags.js'
import {listStateRecords} from '../../src/operations/state-records.js'
import {renderStateRecords} from '../../src/render/tables.js'

export default class StateList extends BaseCommand {
  static override summary = 'List the records the state holds, by address: backends, secrets and the copies moves left behind.'
  static override description =
    'Addresses are backend.NAME, secret.NAME and secret.NAME@BACKEND (a copy a move left on BACKEND: kept by keepSource, or still to be deleted). Never a value. `state rm ADDRESS` forgets one.'
  static override examples = ['<%= config.bin %> state list', '<%= config.bin %> state list -o json']
  static override flags = {...outputFlags(['text', 'json', 'yaml'])}

  async run(): Promise<void> {
    const {flags} = await this.parse(StateList)
    const records = await listStateRecords(this.where(flags))
    this.emit(outputFormat(flags), records, {text: () => renderStateRecords(records)})
  }
}
