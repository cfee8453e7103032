import {BaseCommand} from '../_shared/base-command.js'
import {outputFlags, outputFormat} from '../_shared/flags.js'
import {listSecretKeys} from '../../src/operations/secret-values.js'
import {renderTable} from '../../src/render/table.js'

export default class SecretList extends BaseCommand {
  static override summary = 'List the secrets the state records: names, backends and key names, never values.'
  static override examples = ['<%= config.bin %> secret list', '<%= config.bin %> secret list -o json']
  static override flags = {...outputFlags(['text', 'json', 'yaml'])}

  async run(): Promise<void> {
    const {flags} = await this.parse(SecretList)
    const secrets = await listSecretKeys(this.where(flags))
    const table = () =>
      renderTable(
        ['NAME', 'BACKEND', 'KEYS'],
        secrets.map((s) => [s.name, s.backend, s.keys.join(',')]),
      )
    this.emit(outputFormat(flags), secrets, {text: table})
  }
}
