import {BaseCommand} from './_shared/base-command.js'
import {outputFlags, outputFormat} from './_shared/flags.js'
import {diffEnvironments} from '../src/operations/environments.js'
import {renderEnvironmentDiff} from '../src/render/environments-text.js'

export default class Diff extends BaseCommand {
  static override summary = 'Compare two environments: secrets and keys one has and the other lacks, and keys whose values differ.'
  static override description =
    "Resolves both environments' manifests and reads their states (creating none). Values are compared by digests keyed for this run only, in memory: never shown, never stored. Exit 0 when the two are the same, 2 when they differ, 1 on error, as `plan --detailed-exitcode`."
  static override examples = [
    '<%= config.bin %> diff --env staging --env production',
    '<%= config.bin %> diff --env staging --env production -o json',
  ]
  static override flags = {...outputFlags(['text', 'json', 'yaml'])}

  async run(): Promise<void> {
    const {flags} = await this.parse(Diff)
    const d = await diffEnvironments({dir: flags.dir, state: flags.state, env: process.env, environments: flags.env ?? []})
    this.emit(outputFormat(flags), d, {text: () => renderEnvironmentDiff(d, this.colour)})
    if (!d.same) this.exit(2)
  }
}
