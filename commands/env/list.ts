import {BaseCommand} from '../_shared/base-command.js'
import {outputFlags, outputFormat} from '../_shared/flags.js'
import {listEnvironments} from '../../src/operations/environments.js'
import {renderEnvironmentTable} from '../../src/render/environments-text.js'

export default class EnvList extends BaseCommand {
  static override summary = 'List the environments secretctl.yaml declares: state, backends, secrets, last apply.'
  static override description =
    'For each environment: where its state is (password masked), how many backends its manifests declare, how many secrets its state records, and when it was last applied. Reads each state as it is and creates none.'
  static override examples = ['<%= config.bin %> env list', '<%= config.bin %> env list -o json']
  static override flags = {...outputFlags(['text', 'json', 'yaml'])}

  async run(): Promise<void> {
    const {flags} = await this.parse(EnvList)
    const rows = await listEnvironments(this.where(flags))
    this.emit(outputFormat(flags), rows, {text: () => renderEnvironmentTable(rows)})
  }
}
