/**
 * The plan as Markdown for a pull-request comment: a summary line, then the changes grouped by
 * backend, one collapsible section each with its reason. GitHub caps a comment at 65,535
 * characters, so a long plan is split into numbered parts, each under the cap, the first with the
 * summary. No values: the plan has none. Same plan in, same bytes out.
 */
import {ACTIONS, type Change, type Plan} from '../plan/types.js'
import {orphanSentence, summaryLine} from './plan-text.js'

export const COMMENT_LIMIT = 65_535
/** Parts are kept this far below the cap to leave room for the part header. */
const PART_BUDGET = COMMENT_LIMIT - 1_000
/** Past this many changes in one backend group, details collapse into one line per change. */
export const DETAILS_CAP = 50
export const PART_SEPARATOR = '\n<!-- secretctl:part-break -->\n'

/** Text in Markdown prose or raw HTML: characters that would start markup become entities. */
function escapeMarkdown(text: string): string {
  return text.replace(/[<>&|`*_[\]]/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** A code span shows its text literally (entities too): fence it with more backticks than it holds instead. */
function codeSpan(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length))
  const fence = '`'.repeat(longest + 1)
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : ''
  return `${fence}${pad}${text}${pad}${fence}`
}

function groupOf(c: Change): string {
  if (c.kind === 'token') return `backend ${c.name}`
  if (c.kind === 'backend') return 'backends'
  return `secrets on ${(c.after ?? c.before).backend}`
}

function detailsFor(c: Change): string {
  const a = ACTIONS[c.action]
  const lines = [
    `<details><summary><code>${a.glyph} ${escapeMarkdown(c.address)}</code> ${a.verb}: ${escapeMarkdown(c.reason)}</summary>`,
    '',
  ]
  if (c.kind === 'secret' && c.action !== 'delete' && c.keys && Object.keys(c.keys).length) {
    lines.push('| key | value |', '| --- | --- |')
    for (const [k, v] of Object.entries(c.keys)) lines.push(`| ${codeSpan(k)} | ${v} |`)
    lines.push('')
  }
  if (c.kind === 'backend' && c.action === 'update' && c.fields.length) {
    lines.push('| field | before | after |', '| --- | --- | --- |')
    for (const f of c.fields) lines.push(`| ${codeSpan(f.field)} | ${cell(f.before)} | ${cell(f.after)} |`)
    lines.push('')
  }
  if (c.kind === 'secret' && c.action === 'move') {
    lines.push(`Moves from ${codeSpan(c.from)} to ${codeSpan(c.to)}${c.keepSource ? ', keeping the source copy' : ''}.`, '')
  }
  lines.push('</details>')
  return lines.join('\n')
}

/** A field value in a table cell: JSON, as a code span (a `|` inside would end the cell, so it is escaped). */
function cell(value: unknown): string {
  return value === undefined ? '–' : codeSpan(JSON.stringify(value).replace(/\|/g, '\\|'))
}

function lineFor(c: Change): string {
  const a = ACTIONS[c.action]
  return `- ${codeSpan(`${a.glyph} ${c.address}`)} ${a.verb}: ${escapeMarkdown(c.reason)}`
}

/** Renders the plan as one or more Markdown parts, each at most COMMENT_LIMIT characters. */
export function renderPlanMarkdown(plan: Plan): string[] {
  const header = [
    // A CI matrix posts one comment per environment: the heading says which.
    plan.environment ? `### secretctl plan: environment ${codeSpan(plan.environment)}` : `### secretctl plan`,
    '',
    `**${summaryLine(plan.summary)}**`,
    '',
    `State lineage \`${plan.lineage}\`, serial ${plan.serial}.`,
  ]
  if (!plan.changes.length) {
    header.push(
      '',
      plan.orphans
        ? `No changes to make; ${orphanSentence(plan.orphans)} (kept; --prune deletes them).`
        : 'No changes. The store matches the manifests.',
    )
  }
  for (const w of plan.warnings) header.push('', `> ⚠️ ${escapeMarkdown(w)}`)

  const groups = new Map<string, Change[]>()
  for (const c of plan.changes) {
    const g = groupOf(c)
    groups.set(g, [...(groups.get(g) ?? []), c])
  }
  const blocks: string[] = []
  for (const [group, changes] of groups) {
    const counts = Object.entries(countActions(changes))
      .map(([act, n]) => `${n} ${ACTIONS[act as keyof typeof ACTIONS].verb}`)
      .join(', ')
    blocks.push(`#### ${escapeMarkdown(group)} (${counts})`)
    const capped = changes.length > DETAILS_CAP
    if (capped) blocks.push(`_${changes.length} changes: details collapsed to one line each._`)
    for (const c of changes) blocks.push(capped ? lineFor(c) : detailsFor(c))
  }

  const parts: string[][] = [[header.join('\n')]]
  let size = header.join('\n').length
  for (const block of blocks) {
    if (size + block.length + 2 > PART_BUDGET) {
      parts.push([])
      size = 0
    }
    parts[parts.length - 1]?.push(block)
    size += block.length + 2
  }
  const n = parts.length
  return parts.map((blocksOfPart, i) => {
    const body = blocksOfPart.join('\n\n')
    return (n > 1 ? `<sub>secretctl plan, part ${i + 1} of ${n}</sub>\n\n` : '') + body + '\n'
  })
}

function countActions(changes: Change[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const c of changes) counts[c.action] = (counts[c.action] ?? 0) + 1
  return counts
}
