import {Args, Flags} from '@oclif/core'
import {BaseCommand} from './_shared/base-command.js'
import {readPlanFile} from '../src/plan/plan-file.js'
import {renderPlanText} from '../src/render/plan-text.js'
import {renderPlanMarkdown, PART_SEPARATOR} from '../src/render/plan-markdown.js'

export default class Show extends BaseCommand {
  static override summary = 'Render a saved plan as text, JSON or Markdown.'
  static override examples = ['<%= config.bin %> show plan.json', '<%= config.bin %> show plan.json --markdown > comment.md']
  static override args = {file: Args.string({description: 'a plan saved by `plan --out`', required: true})}
  static override flags = {
    json: Flags.boolean({description: 'print the plan as JSON', exclusive: ['markdown']}),
    markdown: Flags.boolean({description: 'print the plan as Markdown for a pull-request comment'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Show)
    const plan = readPlanFile(args.file)
    if (flags.json) this.printJson(plan)
    else if (flags.markdown) this.print(renderPlanMarkdown(plan).join(PART_SEPARATOR))
    else this.print(renderPlanText(plan, this.colour))
  }
}
