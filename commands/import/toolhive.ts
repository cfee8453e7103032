import {Flags} from '@oclif/core'
import {BaseCommand} from '../_shared/base-command.js'
import {importOptions, lockFlags, outputFlags, outputFormat} from '../_shared/flags.js'
import {importToolhive} from '../../src/operations/import-toolhive.js'
import {renderImportText} from '../../src/render/import-text.js'

export default class ImportToolhive extends BaseCommand {
  static override summary = "Import ToolHive's encrypted secrets: values to a backend, placement-only manifests, the state recorded."
  static override description =
    "Reads ToolHive's secrets file (both formats: the current THVSEC one under an Argon2id key, and the legacy one), with the password from TOOLHIVE_SECRETS_PASSWORD, ToolHive's OS keyring entry, or a prompt. Each secret is written to the backend (default `default`) under the key `value`, recorded in the state, and gets a placement-only Secret manifest in --out; names are mapped to valid secretctl names and the mapping is shown. A name that is already another secret (in the manifests or the state) refuses the whole import, changing nothing; secrets already imported are skipped. Right after, `plan` has nothing to do. Takes the state lock; recorded in history."
  static override examples = [
    '<%= config.bin %> import toolhive --file ~/.local/share/toolhive/secrets_encrypted --backend vault --dry-run',
    '<%= config.bin %> import toolhive --file ~/.local/share/toolhive/secrets_encrypted --backend vault',
  ]
  static override flags = {
    file: Flags.string({description: "ToolHive's secrets file ($XDG_DATA_HOME/toolhive/secrets_encrypted)", required: true}),
    backend: Flags.string({description: 'the backend the values go to', default: 'default'}),
    out: Flags.string({description: 'where the manifests go, inside the manifests directory (default DIR/toolhive)'}),
    'dry-run': Flags.boolean({description: 'show the mapping and what would be imported; change nothing'}),
    ...lockFlags,
    ...outputFlags(['text', 'json']),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(ImportToolhive)
    const result = await importToolhive({
      ...flags,
      ...this.where(flags),
      onTakeover: this.sayTakeover,
      ...importOptions(flags),
    })
    this.emit(outputFormat(flags), result, {text: () => renderImportText(result, this.colour)})
    if (!result.ok) process.exitCode = 1
  }
}
