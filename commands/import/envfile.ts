import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../_shared/base-command.js'
import {importFlags, importOptions, outputFormat} from '../_shared/flags.js'
import {importEnvfile} from '../../src/operations/import-envfile.js'
import {renderImportText} from '../../src/render/import-text.js'

export default class ImportEnvfile extends BaseCommand {
  static override summary =
    'Import a dotenv file as one secret: its values to a backend, a manifest naming the file (envFile), the state recorded.'
  static override description =
    "Reads FILE (inside the manifests directory) as the envFile source reads it (dotenvx-encrypted values decrypted), writes its keys as one secret to --backend (default `default`), records it in the state and writes a Secret manifest with `envFile:` pointing at FILE, so that the file stays the source of the values: edit it and apply as before. The name defaults to the file's (`.env.production` → env.production). A name that is already another secret refuses the import; a second run is a no-op. Right after, `plan` has nothing to do. Takes the state lock; recorded in history."
  static override examples = ['<%= config.bin %> import envfile .env.production --backend vault --name app-production --dry-run']
  static override args = {file: Args.string({description: 'the dotenv file', required: true})}
  static override flags = {
    ...importFlags('envfile'),
    name: Flags.string({description: "the secret's name (default: from the file's name)"}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ImportEnvfile)
    const result = await importEnvfile({
      ...this.where(flags),
      file: args.file,
      name: flags.name,
      backend: flags.backend,
      onTakeover: this.sayTakeover,
      ...importOptions(flags),
    })
    this.emit(outputFormat(flags), result, {text: () => renderImportText(result, this.colour)})
    if (!result.ok) process.exitCode = 1
  }
}
