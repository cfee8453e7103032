import {BaseCommand} from './_shared/base-command.js'
import {applyRequestOf, lockFlags, outputFlags, outputFormat, planFlags} from './_shared/flags.js'
import {applyProgress} from './_shared/progress.js'
import {applyManifests} from '../src/operations/apply-manifests.js'
import {renderPlanText} from '../src/render/plan-text.js'
import {renderApplyOutcome} from '../src/render/apply-text.js'

export default class Reconcile extends BaseCommand {
  static override summary = 'Plan and apply in one step, for unattended runs (cron, a Kubernetes CronJob).'
  static override description =
    'Takes the state lock, converges the store to the manifests and, with --rotate, regenerates what is due (generated values older than rotateEvery, backend tokens older than their period). Never asks. A run with nothing to do makes no writes to the store. Exit 0 when converged (including nothing to do), 1 when anything failed.'
  static override examples = [
    '<%= config.bin %> reconcile -d /etc/secretctl --rotate',
    '<%= config.bin %> reconcile -d /etc/secretctl --rotate --json --lock-timeout 2m',
  ]
  static override flags = {...planFlags, ...lockFlags, ...outputFlags(['text', 'json'])}

  async run(): Promise<void> {
    const {flags} = await this.parse(Reconcile)
    const {plan, context, result} = await applyManifests({
      ...flags,
      ...this.where(flags),
      ...applyRequestOf(flags, {command: flags.rotate ? 'reconcile --rotate' : 'reconcile'}),
      onTakeover: this.sayTakeover,
      progress: applyProgress({json: outputFormat(flags) === 'json'}),
    })
    this.emit(
      outputFormat(flags),
      {plan, result, ok: result?.ok ?? true},
      {
        text: () => renderPlanText(plan, this.colour, context) + (result ? `\n${renderApplyOutcome(result, this.colour)}` : ''),
      },
    )
    if (result && !result.ok) process.exitCode = 1
  }
}
