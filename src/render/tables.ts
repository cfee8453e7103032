/** The tables `get` and `history` print, the way kubectl prints its lists. */
import type {ListedResources} from '../operations/inspect-state.js'
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
