import {Args, Flags} from '@oclif/core'
import {BaseCommand, planFlags, lockFlags, lockTimeoutMs} from './_shared/base-command.js'
import {openWorkspace} from '../src/engine/workspace.js'
import {makePlan} from '../src/engine/make-plan.js'
import {planUnderLock} from '../src/engine/with-state-lock.js'
import {assertPlanCurrent} from '../src/engine/saved-plan.js'
import {applyPlan} from '../src/apply/apply-plan.js'
import {resolveActor} from '../src/engine/actor.js'
import {readPlanFile} from '../src/plan/plan-file.js'
import {renderPlanText} from '../src/render/plan-text.js'
import {renderApplyText, renderOutcomeLine} from '../src/render/apply-text.js'
import {UsageError} from '../src/errors.js'
import {confirm} from './_shared/confirm.js'

export default class Apply extends BaseCommand {
  static override summary = 'Make the store match the manifests, or apply a saved plan exactly.'
  static override description =
    `Without FILE: takes the state lock, computes the plan, shows it, asks for confirmation (or takes --auto-approve), then applies it in order: backends, default switch, trust-root secrets, secrets (a move is one secret at a time: read, write the destination, flip the state row, delete the source), deletes (with --prune).
With FILE (from \`plan --out FILE\`): applies exactly that plan without asking, and refuses, changing nothing, if the state moved on, the plan came from another state, or the manifests or a value source changed since.
Exits 1 if any change failed; the others still go on.`
  static override examples = [
    '<%= config.bin %> apply -d infra/secrets',
    '<%= config.bin %> apply -d infra/secrets --auto-approve',
    '<%= config.bin %> apply -d infra/secrets plan.json   # a plan saved by plan --out',
    '<%= config.bin %> apply --auto-approve --prune --target secret.old-token',
  ]
  static override args = {file: Args.string({description: 'a saved plan (from plan --out) to apply exactly'})}
  static override flags = {
    ...planFlags,
    ...lockFlags,
    json: Flags.boolean({description: 'print the plan and the outcome as one JSON document (needs --auto-approve or FILE)'}),
    'auto-approve': Flags.boolean({description: 'apply without asking for confirmation'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Apply)
    const saved = args.file ? readPlanFile(args.file) : undefined
    if (saved && (flags.prune || flags.target?.length))
      throw new UsageError('--prune and --target cannot be combined with a saved plan', 'they were fixed when the plan was made')
    // A saved plan applies only to the state it was made against, which exists: never start a new one for it.
    const ws = await openWorkspace({
      dir: flags.dir,
      state: flags.state,
      env: process.env,
      concurrency: flags.concurrency,
      stateAccess: saved ? 'write' : 'create',
    })
    try {
      const lock = {
        command: saved ? 'apply FILE' : 'apply',
        timeoutMs: lockTimeoutMs(flags['lock-timeout']),
        env: process.env,
        onTakeover: this.sayTakeover,
      }
      const planNow = async () => {
        if (!saved) return makePlan(ws, {prune: flags.prune, rotate: flags.rotate, targets: flags.target ?? []})
        await assertPlanCurrent(saved, ws)
        return saved
      }
      await planUnderLock(ws.state, planNow, lock, async (plan) => {
        if (!flags.json) this.print(renderPlanText(plan, this.colour))
        if (!plan.changes.length) {
          if (flags.json) this.printJson({plan, result: null})
          return
        }
        if (!saved && !flags['auto-approve']) {
          if (flags.json || !process.stdin.isTTY || !process.stdout.isTTY) {
            throw new UsageError(
              'refusing to apply without confirmation: not running at a terminal',
              'review the plan, then re-run with --auto-approve, or apply a saved plan file',
            )
          }
          if (!(await confirm('Apply these changes? Only "yes" is accepted: '))) {
            this.print('Apply cancelled; nothing changed.\n')
            return
          }
        }
        const progress = !flags.json && !!process.stdout.isTTY
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
        else this.print(renderApplyText(progress ? {...result, changes: []} : result, this.colour))
        if (!result.ok) process.exitCode = 1
      })
    } finally {
      await ws.close()
    }
  }
}
