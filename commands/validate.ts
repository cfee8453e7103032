import {BaseCommand} from './_shared/base-command.js'
import {outputFlags, outputFormat} from './_shared/flags.js'
import {validateManifests} from '../src/operations/validate-manifests.js'
import {renderValidation} from '../src/render/validate-text.js'

export default class Validate extends BaseCommand {
  static override summary = 'Check the manifests: YAML, schema, references, and that every value source can be read.'
  static override description =
    'Reads every *.yaml/*.yml under the manifests directory for the environment and reports all problems at once, each with file:line:column and the field; checks that every value source can be read, and that the env files the environment reads define every name in .env.example (missing or empty: an error; not listed: a warning). Does not open the state or contact any backend.'
  static override examples = [
    '<%= config.bin %> validate -d infra/secrets',
    '<%= config.bin %> validate --env production   # also checks .env.production against .env.example',
  ]
  static override flags = {...outputFlags(['text', 'json'])}

  async run(): Promise<void> {
    const {flags} = await this.parse(Validate)
    const v = await validateManifests(this.where(flags))
    this.emit(outputFormat(flags), v, {text: () => renderValidation(v, this.colour)})
  }
}
