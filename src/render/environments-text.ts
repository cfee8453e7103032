/** `env list` as a table, and `diff` as the lines a reviewer reads (names and keys, never values). */
import type {ChalkInstance} from 'chalk'
import type {EnvironmentDiff, EnvironmentRow} from '../operations/environments.js'
import {plain} from './colour.js'
import {renderTable} from './table.js'

export function renderEnvironmentTable(rows: EnvironmentRow[]): string {
  return renderTable(
    ['NAME', 'DEFAULT', 'STATE', 'BACKENDS', 'SECRETS', 'LAST APPLY', 'NOTE'],
    rows.map((r) => [
      r.name,
      r.default ? 'yes' : '',
      r.state,
      r.backends === null ? '-' : String(r.backends),
      r.secrets === null ? '-' : String(r.secrets),
      r.lastApply ?? '-',
      r.note ?? '',
    ]),
  )
}

export function renderEnvironmentDiff(d: EnvironmentDiff, colour: ChalkInstance = plain): string {
  const [a, b] = d.environments
  if (d.same) return `${colour.green('No differences')} between ${a} and ${b}: the same secrets, keys and values.\n`
  const lines = [`Differences between ${a} and ${b} (values compared by digest, never shown):`, '']
  for (const env of [a, b]) for (const name of d.onlyIn[env] ?? []) lines.push(`  ${colour.yellow('only in')} ${env}: secret ${name}`)
  for (const s of d.secrets) {
    for (const env of [a, b])
      for (const key of s.onlyIn[env] ?? []) lines.push(`  ${colour.yellow('only in')} ${env}: secret ${s.name}, key ${key}`)
    for (const key of s.differ) lines.push(`  ${colour.cyan('differs')}: secret ${s.name}, key ${key}`)
  }
  return `${lines.join('\n')}\n`
}
