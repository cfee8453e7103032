/**
 * The outcome of an apply as text: the changes (every one in a short apply; in a long one, those
 * that failed, were skipped or warn, since a progress display showed the rest going by), a line
 * per pair of backends that secrets moved between, and the totals.
 */
import type {ChalkInstance} from 'chalk'
import {ACTIONS} from '../plan/types.js'
import type {ApplyResult, ChangeOutcome, MoveSummary} from '../apply/types.js'
import {plain} from './colour.js'

const OUTCOME_COLOUR = {applied: 'green', failed: 'red', skipped: 'yellow'} as const

/** Up to this many changes, the outcome lists every one; beyond, only those that did not simply apply. */
export const CHANGES_LISTED = 20

export function renderOutcomeLine(o: ChangeOutcome, colour: ChalkInstance = plain): string {
  const head = `${ACTIONS[o.action].glyph} ${o.address}`
  const lines = [`  ${colour[OUTCOME_COLOUR[o.outcome]](o.outcome.padEnd(7))} ${head}: ${o.detail}`]
  for (const w of o.warnings ?? []) lines.push(`          ${colour.yellow('warning:')} ${w}`)
  return lines.join('\n')
}

/** `moved 98 from default to bao, failed 1, kept 2` (kept: moved, with the copy left on the source). */
export function renderMoveSummary(m: MoveSummary): string {
  const parts = [`moved ${m.moved} from ${m.from} to ${m.to}`, `failed ${m.failed}`, `kept ${m.kept}`]
  if (m.skipped) parts.push(`skipped ${m.skipped}`)
  return parts.join(', ')
}

export function renderApplyText(result: ApplyResult, colour: ChalkInstance = plain): string {
  const all = result.changes.length <= CHANGES_LISTED
  const listed = all ? result.changes : result.changes.filter((o) => o.outcome !== 'applied' || o.warnings?.length)
  const lines = listed.map((o) => renderOutcomeLine(o, colour))
  const unlisted = result.changes.length - listed.length
  if (unlisted) {
    const what = listed.length ? `${unlisted} more applied` : `${unlisted} changes applied`
    lines.push(`  ${what} (\`--json\` lists every change; \`secretctl history\` too)`)
  }
  if (result.moves?.length) lines.push('', ...result.moves.map((m) => `Moves: ${renderMoveSummary(m)}.`))
  const s = result.summary
  const summary = `Apply ${result.ok ? 'complete' : 'finished with failures'}: ${s.applied} applied, ${s.failed} failed, ${s.skipped} skipped (state serial ${result.serial}).`
  lines.push('', result.ok ? colour.green.bold(summary) : colour.red.bold(summary))
  return lines.join('\n') + '\n'
}

/** After the plan: the outcome (nothing when there was nothing to apply). */
export function renderApplyOutcome(result: ApplyResult | null, colour: ChalkInstance = plain): string {
  return result ? renderApplyText(result, colour) : ''
}
