import {Flags} from '@oclif/core'
import {BaseCommand, planFlags, lockFlags, lockTimeoutMs} from './_shared/base-command.js'
import {openWorkspace} from '../src/engine/workspace.js'
import {makePlan} from '../src/engine/make-plan.js'
import {planUnderLock} from '../src/engine/with-state-lock.js'
import {applyPlan} from '../src/apply/apply-plan.js'
import {resolveActor} from '../src/engine/actor.js'
import {renderPlanText} from '../src/render/plan-text.js'
import {renderApplyText} from '../src/render/apply-text.js'

export default class Reconcile extends BaseCommand {
  static override summary = 'Plan and apply in one step, for unattended runs (cron, a Kubernetes CronJob).'
  static override description =
    'Takes the state lock, converges the store to the manifests and, with --rotate, regenerates what is due (generated values older than rotateEvery, backend tokens older than their period). Never asks. A run with nothing to do makes no writes to the store. Exit 0 when converged (including nothing to do), 1 when anything failed.'
  static override examples = [
    '<%= config.bin %> reconcile -d /etc/secretctl --rotate',
    '<%= config.bin %> reconcile -d /etc/secretctl --rotate --json --lock-timeout 2m',
  ]
  static override flags = {
    ...planFlags,
    ...lockFlags,
    json: Flags.boolean({description: "print one JSON document with the plan and every change's outcome"}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Reconcile)
    const ws = await openWorkspace({dir: flags.dir, state: flags.state, env: process.env, concurrency: flags.concurrency})
    try {
      const lock = {
        command: flags.rotate ? 'reconcile --rotate' : 'reconcile',
        timeoutMs: lockTimeoutMs(flags['lock-timeout']),
        env: process.env,
        onTakeover: this.sayTakeover,
      }
      const planNow = () => makePlan(ws, {prune: flags.prune, rotate: flags.rotate, targets: flags.target ?? []})
      await planUnderLock(ws.state, planNow, lock, async (plan) => {
        const result = plan.changes.length
          ? await applyPlan(plan, {
              state: ws.state,
              desired: ws.desired,
              values: ws.values,
              drivers: ws.drivers,
              actor: resolveActor(process.env),
              concurrency: flags.concurrency,
            })
          : null
        if (flags.json) this.printJson({plan, result, ok: result?.ok ?? true})
        else {
          this.print(renderPlanText(plan, this.colour))
          if (result) this.print('\n' + renderApplyText(result, this.colour))
        }
        if (result && !result.ok) process.exitCode = 1
      })
    } finally {
      await ws.close()
    }
  }
}
