/** The tables `get`, `history` and `state list` print, the way kubectl prints its lists. */
import type {ListedResources} from '../operations/inspect-state.js'
import type {RemoveResult as StateRemoval, StateRecordEntry} from '../operations/state-records.js'
import type {RunSummary} from '../operations/history.js'
import {renderTable} from './table.js'

export function renderResourceTable(listed: ListedResources): string {
  if (listed.resource === 'backends') {
    return renderTable(
      ['NAME', 'TYPE', 'DEFAULT', 'SECRETS', 'TOKEN', 'DESCRIPTION'],
      listed.rows.map((b) => [b.name, b.type, b.default ? 'yes' : '', String(b.secrets), b.health ?? '-', b.description ?? '']),
    )
  }
  return renderTable(
    ['NAME', 'BACKEND', 'KEYS', 'VERSION', 'UPDATED'],
    listed.rows.map((s) => [s.name, s.backend, s.keys.join(','), s.version ?? '', s.updatedAt]),
  )
}

export function renderHistoryTable(runs: RunSummary[]): string {
  if (!runs.length) return 'No applies recorded yet.\n'
  return renderTable(
    ['WHEN', 'ACTOR', 'OUTCOME', 'CHANGES'],
    runs.map((r) => [
      r.at,
      r.actor,
      r.outcome,
      r.changes.map((c) => `${c.action} ${c.address}${c.outcome === 'applied' ? '' : ` (${c.outcome})`}`).join(', '),
    ]),
  )
}

/** `state list`: one record per line by address, as Terraform's `state list`, with where it is. */
export function renderStateRecords(records: StateRecordEntry[]): string {
  return renderTable(
    ['ADDRESS', 'KIND', 'DETAIL'],
    records.map((r) => {
      if (r.kind === 'backend') return [r.address, 'backend', `${r.type}${r.default ? ', default' : ''}`]
      if (r.kind === 'secret') return [r.address, 'secret', `on ${r.backend}, keys ${r.keys.join(',') || '(none)'}`]
      return [r.address, 'copy', `on ${r.backend}, ${r.pending ? 'to be deleted (a move was interrupted)' : 'kept by a move (keepSource)'}`]
    }),
  )
}

/** What `state rm` did. */
export function renderStateRemoval(result: StateRemoval): string {
  if (!result.removed.length) return 'Kept the records; nothing was removed.\n'
  const lines = result.removed.map((r) => `  forgot ${r.address}`)
  lines.push(
    `Removed ${result.removed.length} record${result.removed.length === 1 ? '' : 's'} (state serial ${result.serial}); no backend was touched.`,
  )
  if (result.copiesKept.length) lines.push(`Copies still recorded: ${result.copiesKept.join(', ')}.`)
  if (result.valuesDeleted.length)
    lines.push(`The state held the values of ${result.valuesDeleted.join(', ')}: they went with the records.`)
  return lines.join('\n') + '\n'
}
