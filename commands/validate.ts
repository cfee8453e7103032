import {BaseCommand} from './_shared/base-command.js'
import {loadManifests} from '../src/manifests/load-manifests.js'
import {resolveValues} from '../src/sources/resolve-values.js'

export default class Validate extends BaseCommand {
  static override summary = 'Check the manifests: YAML, schema, references, and that every value source can be read.'
  static override description =
    'Reads every *.yaml/*.yml under the manifests directory and reports all problems at once, each with file:line:column and the field. Does not open the state or contact any backend.'
  static override examples = ['<%= config.bin %> validate -d infra/secrets']

  async run(): Promise<void> {
    const {flags} = await this.parse(Validate)
    const desired = await loadManifests(flags.dir)
    await resolveValues(desired, {env: process.env})
    this.print(
      `${this.colour.green('Valid:')} ${desired.backends.length} backend(s), ${desired.secrets.length} secret(s) in ${desired.files.length} file(s).\n`,
    )
  }
}
