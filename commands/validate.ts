import {BaseCommand} from './_shared/base-command.js'
import {validateManifests} from '../src/operations/validate-manifests.js'

export default class Validate extends BaseCommand {
  static override summary = 'Check the manifests: YAML, schema, references, and that every value source can be read.'
  static override description =
    'Reads every *.yaml/*.yml under the manifests directory and reports all problems at once, each with file:line:column and the field. Does not open the state or contact any backend.'
  static override examples = ['<%= config.bin %> validate -d infra/secrets']

  async run(): Promise<void> {
    const {flags} = await this.parse(Validate)
    const v = await validateManifests(this.where(flags))
    this.print(`${this.colour.green('Valid:')} ${v.backends} backend(s), ${v.secrets} secret(s) in ${v.files} file(s).\n`)
  }
}
