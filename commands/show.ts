import {Args, Flags} from '@oclif/core'
import {BaseCommand} from './_shared/base-command.js'
import {outputFlags, outputFormat} from './_shared/flags.js'
import {readPlanFile} from '../src/plan/plan-file.js'
import {renderPlanText} from '../src/render/plan-text.js'
import {PART_SEPARATOR, renderPlanMarkdown} from '../src/render/plan-markdown.js'

export default class Show extends BaseCommand {
  static override summary = 'Render a saved plan as text, JSON, YAML or Markdown.'
  static override examples = ['<%= config.bin %> show plan.json', '<%= config.bin %> show plan.json -o markdown > comment.md']
  static override args = {file: Args.string({description: 'a plan saved by `plan --out`', required: true})}
  static override flags = {
    ...outputFlags(['text', 'json', 'yaml', 'markdown']),
    markdown: Flags.boolean({description: 'shorthand for -o markdown', exclusive: ['json']}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Show)
    const plan = readPlanFile(args.file)
    this.emit(outputFormat(flags), plan, {
      text: () => renderPlanText(plan, this.colour),
      markdown: () => renderPlanMarkdown(plan).join(PART_SEPARATOR),
    })
  }
}
