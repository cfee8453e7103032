import {Flags} from '@oclif/core'
import {BaseCommand, planFlags} from './_shared/base-command.js'
import {openWorkspace} from '../src/engine/workspace.js'
import {makePlan} from '../src/engine/make-plan.js'
import {writePlanFile} from '../src/plan/plan-file.js'
import {renderPlanText} from '../src/render/plan-text.js'
import {renderPlanMarkdown, PART_SEPARATOR} from '../src/render/plan-markdown.js'
import {assertStateExists} from '../src/state/open-state.js'

export default class Plan extends BaseCommand {
  static override summary = 'Show what apply would change, without changing anything.'
  static override description =
    'Compares the manifests with the state database and the backends (metadata only: no secret value is read) and prints the changes in the order apply would make them. Values are never shown; a changed value is detected by salted fingerprints. Takes no lock and writes nothing: with no state yet, everything plans as new (and --out is refused until a first apply has created the state).'
  static override examples = [
    '<%= config.bin %> plan -d infra/secrets',
    '<%= config.bin %> plan -d infra/secrets --detailed-exitcode   # CI: 0 no changes, 2 changes, 1 error',
    '<%= config.bin %> plan --out plan.json --markdown > plan.md   # save for apply, and a pull-request comment',
    '<%= config.bin %> plan --json --target secret.github',
  ]
  static override flags = {
    ...planFlags,
    json: Flags.boolean({description: 'print the plan as JSON', exclusive: ['markdown']}),
    markdown: Flags.boolean({
      description:
        'print the plan as Markdown for a pull-request comment (parts separated by a `<!-- secretctl:part-break -->` line when longer than a comment allows)',
    }),
    out: Flags.string({description: 'also save the plan to FILE (JSON, mode 0600) for `secretctl apply FILE`'}),
    'detailed-exitcode': Flags.boolean({description: 'exit 0 when there are no changes, 2 when there are, 1 on error'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Plan)
    const ws = await openWorkspace({
      dir: flags.dir,
      state: flags.state,
      env: process.env,
      concurrency: flags.concurrency,
      stateAccess: 'read-or-empty',
    })
    let changes = 0
    try {
      if (flags.out)
        assertStateExists(
          ws.state,
          'a saved plan is checked against the state it was made from (its lineage and fingerprint salt), and there is none yet: apply once, then plan --out',
        )
      const plan = await makePlan(ws, {prune: flags.prune, rotate: flags.rotate, targets: flags.target ?? []})
      changes = plan.changes.length
      const noState = ws.state.exists ? '' : `No state yet at ${ws.state.location}: everything is new.\n\n`
      if (flags.out) writePlanFile(flags.out, plan)
      if (flags.json) this.printJson(plan)
      else if (flags.markdown) this.print(noState + renderPlanMarkdown(plan).join(PART_SEPARATOR))
      else
        this.print(
          noState +
            renderPlanText(plan, this.colour) +
            (flags.out ? `\nSaved the plan to ${flags.out}; apply it exactly with: secretctl apply ${flags.out}\n` : ''),
        )
    } finally {
      await ws.close()
    }
    if (flags['detailed-exitcode'] && changes) this.exit(2)
  }
}
