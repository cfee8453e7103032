import {Flags} from '@oclif/core'
import {BaseCommand} from '../_shared/base-command.js'
import {importFlags, importOptions, outputFormat} from '../_shared/flags.js'
import {importFromBackend} from '../../src/operations/import-backend.js'
import {renderImportText} from '../../src/render/import-text.js'

export default class ImportKubernetes extends BaseCommand {
  static override summary =
    "Adopt the Secrets already in a Kubernetes backend's namespace where they are, including ones secretctl did not create."
  static override description =
    "Lists the Secrets of the backend's namespace (metadata only; --selector: those a label selector picks) of the backend's type, reads each once to fingerprint its keys (no value is written anywhere, printed or kept), marks those secretctl did not create as its own (ownership labels and the fingerprint annotation, by a merge patch of the metadata at the version read: the data is not touched; needs the patch verb), records them in the state and writes a placement-only Secret manifest per secret in --out. A Secret of another type, one whose name the backend's nameTemplate does not give, or one another backend wrote is skipped with why. Right after, `plan` has nothing to do; a second run is a no-op. Takes the state lock; recorded in history."
  static override examples = [
    '<%= config.bin %> import kubernetes --backend staging --selector app=mcp --dry-run',
    '<%= config.bin %> import kubernetes --backend staging --namespace mcp-staging --selector app=mcp',
  ]
  static override flags = {
    ...importFlags('kubernetes'),
    backend: Flags.string({description: 'the kubernetes backend whose namespace is imported', required: true}),
    namespace: Flags.string({description: "the namespace (must be the backend's; a check)"}),
    selector: Flags.string({char: 'l', description: 'a label selector, e.g. app=mcp,tier!=cache (default: every Secret of the type)'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(ImportKubernetes)
    const result = await importFromBackend({
      ...this.where(flags),
      type: 'kubernetes',
      backend: flags.backend,
      options: {namespace: flags.namespace, selector: flags.selector},
      onTakeover: this.sayTakeover,
      ...importOptions(flags),
    })
    this.emit(outputFormat(flags), result, {text: () => renderImportText(result, this.colour)})
    if (!result.ok) process.exitCode = 1
  }
}
