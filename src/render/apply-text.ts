/** The outcome of an apply as text: a line per change and a summary. */
import type {ChalkInstance} from 'chalk'
import {ACTIONS} from '../plan/types.js'
import type {ApplyResult, ChangeOutcome} from '../apply/types.js'
import {plain} from './colour.js'

const OUTCOME_COLOUR = {applied: 'green', failed: 'red', skipped: 'yellow'} as const

export function renderOutcomeLine(o: ChangeOutcome, colour: ChalkInstance = plain): string {
  const head = `${ACTIONS[o.action].glyph} ${o.address}`
  const lines = [`  ${colour[OUTCOME_COLOUR[o.outcome]](o.outcome.padEnd(7))} ${head}: ${o.detail}`]
  for (const w of o.warnings ?? []) lines.push(`          ${colour.yellow('warning:')} ${w}`)
  return lines.join('\n')
}

export function renderApplyText(result: ApplyResult, colour: ChalkInstance = plain): string {
  const lines = result.changes.map((o) => renderOutcomeLine(o, colour))
  const s = result.summary
  const summary = `Apply ${result.ok ? 'complete' : 'finished with failures'}: ${s.applied} applied, ${s.failed} failed, ${s.skipped} skipped (state serial ${result.serial}).`
  lines.push('', result.ok ? colour.green.bold(summary) : colour.red.bold(summary))
  return lines.join('\n') + '\n'
}

/** After the plan: the outcome (nothing when there was nothing to apply); per-change lines only when they were not shown as they happened. */
export function renderApplyOutcome(result: ApplyResult | null, colour: ChalkInstance = plain, shownAsTheyHappened = false): string {
  if (!result) return ''
  return renderApplyText(shownAsTheyHappened ? {...result, changes: []} : result, colour)
}
