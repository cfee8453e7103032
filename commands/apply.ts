import {Args} from '@oclif/core'
import {BaseCommand} from './_shared/base-command.js'
import {applyFlags, applyRequestOf, outputFormat} from './_shared/flags.js'
import {approval} from './_shared/confirm.js'
import {applyProgress} from './_shared/progress.js'
import {applyManifests} from '../src/operations/apply-manifests.js'
import {planTextPieces} from '../src/render/plan-text.js'
import {renderApplyOutcome} from '../src/render/apply-text.js'

export default class Apply extends BaseCommand {
  static override summary = 'Make the store match the manifests, or apply a saved plan exactly.'
  static override description =
    `Without FILE: takes the state lock, computes the plan, shows it, asks for confirmation (or takes --auto-approve), then applies it in order: backends, default switch, trust-root secrets, secrets (a move is one secret at a time: read, write the destination, flip the state row, delete the source), deletes (with --prune). Progress goes to stderr: a bar at a terminal, a line every few seconds elsewhere (SECRETCTL_PROGRESS_INTERVAL).
With FILE (from \`plan --out FILE\`): applies exactly that plan without asking, and refuses, changing nothing, if the state moved on, the plan came from another state, or the manifests or a value source changed since.
Exits 1 if any change failed (the others still go on), 130 when cancelled at the question.`
  static override examples = [
    '<%= config.bin %> apply -d infra/secrets --auto-approve',
    '<%= config.bin %> apply -d infra/secrets plan.json   # saved by plan --out',
  ]
  static override args = {file: Args.string({description: 'a saved plan (from plan --out) to apply exactly'})}
  static override flags = applyFlags

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Apply)
    const json = outputFormat(flags) === 'json'
    const {plan, result} = await applyManifests({
      ...flags,
      ...this.where(flags),
      ...applyRequestOf(flags, {command: 'apply', file: args.file}),
      onPlan: json ? undefined : (p, context) => this.printPieces(planTextPieces(p, this.colour, context)),
      onTakeover: this.sayTakeover,
      approve: approval({autoApprove: flags['auto-approve'], saved: !!args.file, json}),
      progress: applyProgress({json}),
    })
    this.emit(json ? 'json' : 'text', {plan, result}, {text: () => renderApplyOutcome(result, this.colour)})
    if (result && !result.ok) process.exitCode = 1
  }
}
