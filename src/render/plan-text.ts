/** The plan as a person reads it at a terminal: one line per change with its glyph and reason. */
import type {ChalkInstance} from 'chalk'
import {ACTIONS, type Change, type Plan, type PlanSummary} from '../plan/types.js'
import {plain} from './colour.js'

export function summaryLine(s: PlanSummary): string {
  const parts = [`${s.create} to create`, `${s.update} to update`, `${s.move} to move`, `${s.delete} to delete`]
  if (s.rotate) parts.push(`${s.rotate} to rotate`)
  if (s['set-default']) parts.push(`${s['set-default']} default switch`)
  return `Plan: ${parts.join(', ')}.`
}

function keyDetail(c: Change): string | undefined {
  if (!c.keys) return undefined
  const entries = Object.entries(c.keys)
  if (!entries.length) return undefined
  return 'keys: ' + entries.map(([k, v]) => (v === 'unchanged' ? k : `${k} (${v})`)).join(', ')
}

export function renderChangeLine(c: Change, colour: ChalkInstance = plain): string {
  const a = ACTIONS[c.action]
  const head = colour[a.colour](`${a.glyph} ${c.address}`)
  return `  ${head}  ${colour.dim(a.verb + ':')} ${c.reason}`
}

export function renderPlanText(plan: Plan, colour: ChalkInstance = plain): string {
  const lines: string[] = []
  if (!plan.changes.length) {
    lines.push(colour.green('No changes.') + ' The store matches the manifests.')
  } else {
    lines.push('secretctl will perform these actions, in this order:', '')
    for (const c of plan.changes) {
      lines.push(renderChangeLine(c, colour))
      const keys = keyDetail(c)
      if (keys) lines.push(`      ${colour.dim(keys)}`)
    }
    lines.push('', colour.bold(summaryLine(plan.summary)))
  }
  if (plan.warnings.length) {
    lines.push('')
    for (const w of plan.warnings) lines.push(colour.yellow(`Warning: ${w}`))
  }
  return lines.join('\n') + '\n'
}
