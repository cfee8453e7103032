import {BaseCommand} from './_shared/base-command.js'
import {allowUndecryptableFlag, outputFlags, outputFormat, planCommandFlags, planFlags} from './_shared/flags.js'
import {planManifests} from '../src/operations/plan-manifests.js'
import {renderPlanText, renderSavedPlanNote} from '../src/render/plan-text.js'
import {PART_SEPARATOR, renderPlanMarkdown} from '../src/render/plan-markdown.js'

export default class Plan extends BaseCommand {
  static override summary = 'Show what apply would change, without changing anything.'
  static override description =
    'Compares the manifests with the state database and the backends (metadata only: no secret value is read, except to say which keys of a drifted secret changed) and prints the changes in the order apply would make them. Values are never shown; a changed value is detected by salted fingerprints. Takes no lock.'
  static override examples = [
    '<%= config.bin %> plan -d infra/secrets',
    '<%= config.bin %> plan -d infra/secrets --detailed-exitcode   # CI: 0 no changes, 2 changes, 1 error',
    '<%= config.bin %> plan --out plan.json -o markdown > plan.md   # save for apply, and a pull-request comment',
    '<%= config.bin %> plan --json --target secret.github',
    '<%= config.bin %> plan --allow-undecryptable --markdown   # a pull-request job without the decryption keys',
  ]
  static override flags = {
    ...planFlags,
    ...outputFlags(['text', 'json', 'yaml', 'markdown']),
    ...planCommandFlags,
    'allow-undecryptable': allowUndecryptableFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Plan)
    const {plan, context} = await planManifests({...flags, ...this.where(flags), targets: flags.target ?? []})
    this.emit(outputFormat(flags), plan, {
      text: () =>
        renderPlanText(plan, this.colour, context) +
        (flags.out ? renderSavedPlanNote(flags.out, {...flags, environment: context.environment}) : ''),
      markdown: () => renderPlanMarkdown(plan).join(PART_SEPARATOR),
    })
    if (flags['detailed-exitcode'] && plan.changes.length) this.exit(2)
  }
}
