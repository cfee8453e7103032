/** The plan as a person reads it at a terminal: one line per change with its glyph and reason, and what changes under it. */
import type {ChalkInstance} from 'chalk'
import {ACTIONS, type Change, type FieldChange, type Plan, type PlanSummary} from '../plan/types.js'
import {MASK} from '../plan/mask-config.js'
import {plain} from './colour.js'
import {redactUrl} from '../state/redact-url.js'
import type {PlanContext} from '../operations/plan-manifests.js'

export function summaryLine(s: PlanSummary): string {
  const parts = [`${s.create} to create`, `${s.update} to update`, `${s.move} to move`, `${s.delete} to delete`]
  if (s.rotate) parts.push(`${s.rotate} to rotate`)
  if (s['set-default']) parts.push(`${s['set-default']} default switch`)
  return `Plan: ${parts.join(', ')}.`
}

function keyDetail(c: Change): string | undefined {
  if (c.kind !== 'secret' || c.action === 'delete' || !c.keys) return undefined
  const entries = Object.entries(c.keys)
  if (!entries.length) return undefined
  return `keys: ${entries.map(([k, v]) => (v === 'unchanged' ? k : `${k} (${v})`)).join(', ')}`
}

/** `~ config.url: "http://a" → "http://b"`, as Terraform shows an attribute; a multi-line value as a line diff. */
export function renderFieldChange(f: FieldChange): string[] {
  const show = (v: unknown) => (v === MASK ? '(sensitive)' : JSON.stringify(v))
  if (f.lines) return [`~ ${f.field}:`, ...f.lines.map((l) => `    ${l}`)]
  if (f.before === undefined) return [`+ ${f.field}: ${show(f.after)}`]
  if (f.after === undefined) return [`- ${f.field}: ${show(f.before)}`]
  if (f.before === MASK && f.after === MASK) return [`~ ${f.field}: (sensitive value changed)`]
  return [`~ ${f.field}: ${show(f.before)} → ${show(f.after)}`]
}

export function renderChangeLine(c: Change, colour: ChalkInstance = plain): string {
  const a = ACTIONS[c.action]
  const head = colour[a.colour](`${a.glyph} ${c.address}`)
  return `  ${head}  ${colour.dim(`${a.verb}:`)} ${c.reason}`
}

/**
 * What the plan compared: the state (password masked) and the manifests directory, so an exported
 * SECRETCTL_STATE or a wrong -d cannot go unnoticed.
 */
export function renderPlanHeader(context: PlanContext, colour: ChalkInstance = plain): string {
  const state = context.stateExists ? `State: ${context.state}` : `No state yet at ${context.state}: everything is new.`
  const env = context.environment ? ` (environment ${context.environment})` : ''
  return `${colour.dim(state)}\n${colour.dim(`Manifests: ${context.dir}${env}`)}\n\n`
}

export function renderPlanText(plan: Plan, colour: ChalkInstance = plain, context?: PlanContext): string {
  return [...planTextPieces(plan, colour, context)].join('')
}

/**
 * Lines per piece of planTextPieces. Printed whole, the plan of 100,000 changes was 200,000 lines and
 * a string of ~10 MiB built and held at once, just when the heap was fullest (docs/performance.md,
 * peak RSS at 100,000); printed a piece at a time, each piece is gone before the next.
 */
const PIECE_LINES = 1000

/** renderPlanText's text in pieces of whole lines: printed one after the other, exactly that text. */
export function* planTextPieces(plan: Plan, colour: ChalkInstance = plain, context?: PlanContext): Generator<string> {
  let lines: string[] = []
  const piece = () => {
    const text = `${lines.join('\n')}\n`
    lines = []
    return text
  }
  if (context) lines.push(renderPlanHeader(context, colour).trimEnd(), '')
  if (!plan.changes.length && plan.orphans) {
    lines.push(`${colour.green('No changes to make;')} ${orphanSentence(plan.orphans)} (kept; --prune deletes them).`)
  } else if (!plan.changes.length) {
    lines.push(`${colour.green('No changes.')} The store matches the manifests.`)
  } else {
    lines.push('secretctl will perform these actions, in this order:', '')
    for (const c of plan.changes) {
      lines.push(renderChangeLine(c, colour))
      const keys = keyDetail(c)
      if (keys) lines.push(`      ${colour.dim(keys)}`)
      if (c.kind === 'backend' && c.action === 'update')
        for (const f of c.fields) for (const l of renderFieldChange(f)) lines.push(`      ${l}`)
      if (lines.length >= PIECE_LINES) yield piece()
    }
    lines.push('', colour.bold(summaryLine(plan.summary)))
  }
  if (plan.warnings.length) {
    lines.push('')
    for (const w of plan.warnings) lines.push(colour.yellow(`Warning: ${w}`))
  }
  yield piece()
}

/** Where a saved plan went and the command that applies it exactly, with the same directory and state. */
export function renderSavedPlanNote(file: string, where: {dir: string; state?: string; environment?: string | null}): string {
  const parts = ['secretctl apply', shellWord(file)]
  if (where.dir !== '.') parts.push('-d', shellWord(where.dir))
  if (where.state) parts.push('--state', shellWord(redactUrl(where.state)))
  if (where.environment) parts.push('--env', shellWord(where.environment))
  const masked = where.state && redactUrl(where.state) !== where.state ? ' (the state password is masked: give it as you did here)' : ''
  return `\nSaved the plan to ${file}; apply it exactly with:\n  ${parts.join(' ')}${masked}\n`
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}

/** `2 secrets and 1 backend in the state are no longer in the manifests`. */
export function orphanSentence(o: {secrets: string[]; backends: string[]}): string {
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`
  const parts = [
    ...(o.secrets.length ? [count(o.secrets.length, 'secret')] : []),
    ...(o.backends.length ? [count(o.backends.length, 'backend')] : []),
  ]
  const n = o.secrets.length + o.backends.length
  return `${parts.join(' and ')} in the state ${n === 1 ? 'is' : 'are'} no longer in the manifests`
}
