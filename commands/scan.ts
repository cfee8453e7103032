import {Args, Flags} from '@oclif/core'
import {BaseCommand} from './_shared/base-command.js'
import {outputFlags, outputFormat} from './_shared/flags.js'
import {scanRepository} from '../src/operations/scan-repository.js'
import {renderScanText} from '../src/render/scan-text.js'

export default class Scan extends BaseCommand {
  static override summary = "Find where managed secrets' values occur in files and git history, without holding any value."
  static override description =
    "Cuts the files under PATH (default .; in a git work tree, those git tracks or would track) and, with --git, every commit's added lines into candidate tokens and compares them with the fingerprints the state records (the length and a keyed tag first, the salted HMAC last): a match is reported as file:line (and commit), with the secret and key, never the value. Also reports literal-looking secrets in the manifests outside data (known token prefixes, high entropy) and .env files git tracks with values in clear. Exits 1 when anything is found, 0 otherwise: a CI step or a pre-commit hook (docs/scan.md). Only reads the state."
  static override examples = [
    '<%= config.bin %> scan',
    '<%= config.bin %> scan --git --since origin/main   # the commits of a pull request',
    '<%= config.bin %> scan src config -d infra/secrets --json',
    '<%= config.bin %> scan --staged   # in .git/hooks/pre-commit',
  ]
  static override strict = false
  static override args = {paths: Args.string({description: 'files or directories to scan (default: .)'})}
  static override flags = {
    git: Flags.boolean({description: 'also scan the lines every commit added (the history HEAD reaches)'}),
    since: Flags.string({description: 'with --git: only the commits after REV (REV..HEAD)', dependsOn: ['git']}),
    staged: Flags.boolean({
      description: 'scan the lines staged for the next commit (git diff --cached) instead of the files: a pre-commit hook',
    }),
    threads: Flags.integer({
      min: 1,
      description: 'threads scanning the files (default: the cores, up to 4, on 2,000 files or more; 1 below that)',
    }),
    ...outputFlags(['text', 'json', 'yaml']),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Scan)
    // --git, --since, --staged as they are; the global flags through where().
    const result = await scanRepository({...flags, ...this.where(flags), cwd: process.cwd(), paths: argv as string[]})
    this.emit(outputFormat(flags), result, {text: () => renderScanText(result, this.colour)})
    if (result.found) process.exitCode = 1
  }
}
