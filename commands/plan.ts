import {Flags} from '@oclif/core'
import {BaseCommand, planFlags} from './_shared/base-command.js'
import {openWorkspace} from '../src/engine/workspace.js'
import {makePlan} from '../src/engine/make-plan.js'
import {renderPlanText} from '../src/render/plan-text.js'

export default class Plan extends BaseCommand {
  static override summary = 'Show what apply would change, without changing anything.'
  static override description = 'Compares the manifests with the state database and the backends (metadata only: no secret value is read) and prints the changes in the order apply would make them. Values are never shown; a changed value is detected by salted fingerprints.'
  static override examples = [
    '<%= config.bin %> plan -d infra/secrets',
    '<%= config.bin %> plan -d infra/secrets --detailed-exitcode   # CI: 0 no changes, 2 changes, 1 error',
    '<%= config.bin %> plan --json --target secret.github',
  ]
  static override flags = {
    ...planFlags,
    json: Flags.boolean({description: 'print the plan as JSON'}),
    'detailed-exitcode': Flags.boolean({description: 'exit 0 when there are no changes, 2 when there are, 1 on error'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Plan)
    const ws = await openWorkspace({dir: flags.dir, state: flags.state, env: process.env, concurrency: flags.concurrency})
    try {
      const plan = await makePlan(ws, {prune: flags.prune, targets: flags.target ?? []})
      if (flags.json) this.printJson(plan)
      else this.print(renderPlanText(plan, this.colour))
      if (flags['detailed-exitcode'] && plan.changes.length) this.exit(2)
    } finally {
      await ws.close()
    }
  }
}
