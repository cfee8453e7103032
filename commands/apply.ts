import {Flags} from '@oclif/core'
import {BaseCommand, planFlags} from './_shared/base-command.js'
import {openWorkspace} from '../src/engine/workspace.js'
import {makePlan} from '../src/engine/make-plan.js'
import {applyPlan} from '../src/apply/apply-plan.js'
import {resolveActor} from '../src/engine/actor.js'
import {renderPlanText} from '../src/render/plan-text.js'
import {renderApplyText, renderOutcomeLine} from '../src/render/apply-text.js'
import {UsageError} from '../src/errors.js'
import {confirm} from './_shared/confirm.js'

export default class Apply extends BaseCommand {
  static override summary = 'Make the store match the manifests.'
  static override description = 'Computes the plan, shows it, asks for confirmation (or takes --auto-approve), then applies it in order: backends, default switch, trust-root secrets, secrets (moves one secret at a time: read, write the destination, flip the state row, delete the source), deletes (with --prune). Exits 1 if any change failed; the rest still go on.'
  static override examples = [
    '<%= config.bin %> apply -d infra/secrets',
    '<%= config.bin %> apply -d infra/secrets --auto-approve',
    '<%= config.bin %> apply --auto-approve --prune --target secret.old-token',
  ]
  static override flags = {
    ...planFlags,
    json: Flags.boolean({description: 'print the plan and the outcome as one JSON document (needs --auto-approve)'}),
    'auto-approve': Flags.boolean({description: 'apply without asking for confirmation'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Apply)
    const ws = await openWorkspace({dir: flags.dir, state: flags.state, env: process.env, concurrency: flags.concurrency})
    try {
      const plan = await makePlan(ws, {prune: flags.prune, targets: flags.target ?? []})
      if (!flags.json) this.print(renderPlanText(plan, this.colour))
      if (!plan.changes.length) {
        if (flags.json) this.printJson({plan, result: null})
        return
      }
      if (!flags['auto-approve']) {
        if (flags.json || !process.stdin.isTTY || !process.stdout.isTTY) {
          throw new UsageError('refusing to apply without confirmation: not running at a terminal', 'review the plan, then re-run with --auto-approve')
        }
        if (!(await confirm('Apply these changes? Only "yes" is accepted: '))) {
          this.print('Apply cancelled; nothing changed.\n')
          return
        }
      }
      const progress = !flags.json && process.stdout.isTTY
      const result = await applyPlan(plan, {
        state: ws.state,
        desired: ws.desired,
        values: ws.values,
        drivers: ws.drivers,
        actor: resolveActor(process.env),
        concurrency: flags.concurrency,
        onOutcome: progress ? (o) => this.print(renderOutcomeLine(o, this.colour) + '\n') : undefined,
      })
      if (flags.json) this.printJson({plan, result})
      else this.print((progress ? '\n' : '') + (progress ? renderApplyText({...result, changes: []}, this.colour).trimStart() : renderApplyText(result, this.colour)))
      if (!result.ok) this.exit(1)
    } finally {
      await ws.close()
    }
  }
}
