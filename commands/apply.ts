import {Args, Flags} from '@oclif/core'
import {BaseCommand} from './_shared/base-command.js'
import {lockFlags, lockTimeoutMs, outputFlags, outputFormat, planFlags} from './_shared/flags.js'
import {approval} from './_shared/confirm.js'
import {applyManifests} from '../src/operations/apply-manifests.js'
import {readPlanFile} from '../src/plan/plan-file.js'
import {renderPlanText} from '../src/render/plan-text.js'
import {renderApplyOutcome, renderOutcomeLine} from '../src/render/apply-text.js'

export default class Apply extends BaseCommand {
  static override summary = 'Make the store match the manifests, or apply a saved plan exactly.'
  static override description =
    `Without FILE: takes the state lock, computes the plan, shows it, asks for confirmation (or takes --auto-approve), then applies it in order: backends, default switch, trust-root secrets, secrets (a move is one secret at a time: read, write the destination, flip the state row, delete the source), deletes (with --prune).
With FILE (from \`plan --out FILE\`): applies exactly that plan without asking, and refuses, changing nothing, if the state moved on, the plan came from another state, or the manifests or a value source changed since.
Exits 1 if any change failed (the others still go on), 130 when cancelled at the question.`
  static override examples = [
    '<%= config.bin %> apply -d infra/secrets',
    '<%= config.bin %> apply -d infra/secrets --auto-approve',
    '<%= config.bin %> apply -d infra/secrets plan.json   # a plan saved by plan --out',
  ]
  static override args = {file: Args.string({description: 'a saved plan (from plan --out) to apply exactly'})}
  static override flags = {
    ...planFlags,
    ...lockFlags,
    ...outputFlags(['text', 'json']),
    'auto-approve': Flags.boolean({description: 'apply without asking for confirmation'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Apply)
    const json = outputFormat(flags) === 'json'
    const progress = !json && !!process.stdout.isTTY
    const outcome = await applyManifests({
      ...flags,
      ...this.where(flags),
      targets: flags.target ?? [],
      saved: args.file ? readPlanFile(args.file) : undefined,
      command: args.file ? 'apply FILE' : 'apply',
      lockTimeoutMs: lockTimeoutMs(flags['lock-timeout']),
      onPlan: json ? undefined : (plan, context) => this.print(renderPlanText(plan, this.colour, context)),
      onTakeover: this.sayTakeover,
      approve: approval({autoApprove: flags['auto-approve'], saved: !!args.file, json}),
      onOutcome: progress ? (o) => this.print(`${renderOutcomeLine(o, this.colour)}\n`) : undefined,
    })
    this.emit(
      json ? 'json' : 'text',
      {plan: outcome.plan, result: outcome.result},
      {text: () => renderApplyOutcome(outcome.result, this.colour, progress)},
    )
    if (outcome.result && !outcome.result.ok) process.exitCode = 1
  }
}
