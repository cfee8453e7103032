import {BaseCommand} from './_shared/base-command.js'
import {allowUndecryptableFlag, outputFlags, outputFormat} from './_shared/flags.js'
import {validateManifests} from '../src/operations/validate-manifests.js'
import {renderValidationText} from '../src/render/validate-text.js'

export default class Validate extends BaseCommand {
  static override summary = 'Check the manifests: YAML, schema, references, and that every value source can be read.'
  static override description =
    'Reads every *.yaml/*.yml under the manifests directory for the environment and reports all problems at once, each with file:line:column and the field; checks that every value source can be read and that the env files the environment reads define every name in .env.example (missing or empty: an error; not listed: a warning). Does not open the state or contact any backend. Lists the SOPS value files beside the manifests (a warning for one no manifest references) and, for each encrypted value file, its format, recipients, whether this machine can decrypt it and whether its MAC (or authentication) holds.'
  static override examples = [
    '<%= config.bin %> validate -d infra/secrets',
    '<%= config.bin %> validate --env production   # also checks .env.production against .env.example',
    '<%= config.bin %> validate -d infra/secrets --allow-undecryptable -o json   # a CI lint job without the keys',
  ]
  static override flags = {...outputFlags(['text', 'json', 'yaml']), 'allow-undecryptable': allowUndecryptableFlag}

  async run(): Promise<void> {
    const {flags} = await this.parse(Validate)
    const v = await validateManifests(this.where(flags))
    this.emit(outputFormat(flags), v, {text: () => renderValidationText(v, this.colour)})
  }
}
