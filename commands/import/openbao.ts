import {Flags} from '@oclif/core'
import {BaseCommand} from '../_shared/base-command.js'
import {importFlags, importOptions, outputFormat} from '../_shared/flags.js'
import {importFromBackend} from '../../src/operations/import-backend.js'
import {renderImportText} from '../../src/render/import-text.js'

export default class ImportOpenbao extends BaseCommand {
  static override summary =
    'Adopt the secrets already in an OpenBao backend’s folder where they are: placement-only manifests, the state recorded.'
  static override description =
    "Lists the backend's folder (mount/pathPrefix; --path: only the names starting with it), reads each secret once to fingerprint its keys (the values are not written anywhere, printed or kept), records it in the state with its KV version, and writes a placement-only Secret manifest per secret in --out. A secret keeps its KV name (the backend finds it by that name): one that is not a valid secretctl name, and sub-folders, are skipped with what to do. A name that is already another secret refuses the whole import; a second run is a no-op. Right after, `plan` has nothing to do. Takes the state lock; recorded in history."
  static override examples = [
    '<%= config.bin %> import openbao --backend bao --dry-run',
    '<%= config.bin %> import openbao --backend bao --path team-',
  ]
  static override flags = {
    ...importFlags('openbao'),
    backend: Flags.string({description: 'the openbao backend whose folder is imported', required: true}),
    path: Flags.string({description: "only the secrets whose name in the backend's folder starts with this"}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(ImportOpenbao)
    const result = await importFromBackend({
      ...this.where(flags),
      type: 'openbao',
      backend: flags.backend,
      options: {path: flags.path},
      onTakeover: this.sayTakeover,
      ...importOptions(flags),
    })
    this.emit(outputFormat(flags), result, {text: () => renderImportText(result, this.colour)})
    if (!result.ok) process.exitCode = 1
  }
}
