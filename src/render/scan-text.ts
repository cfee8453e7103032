/** What `secretctl scan` found, one line per finding (file:line, which secret and key, never a value), then a summary. */
import type {ChalkInstance} from 'chalk'
import type {ScanResult} from '../operations/scan-repository.js'
import type {Finding} from '../scan/scan-findings.js'
import {plain} from './colour.js'

export function renderScanText(r: ScanResult, colour: ChalkInstance = plain): string {
  const lines = r.findings.map((f) => `${colour.red('!')} ${describe(f)}`)
  for (const note of r.notes) lines.push(`${colour.yellow('Note:')} ${note}`)
  const s = r.stats
  const what = [r.staged ? `the staged changes (${megabytes(s.stagedBytes)})` : `${count(s.files, 'file')} (${megabytes(s.bytes)})`]
  if (s.commits) what.push(`${count(s.commits, 'commit')} (${megabytes(s.historyBytes)} of added lines)`)
  const looked = r.looked.state === null ? 'no state' : `${count(r.looked.keys + r.looked.unmarked, 'key')} of the state`
  const seconds = (r.stats.ms.total / 1000).toFixed(2)
  lines.push(
    `Scanned ${what.join(' and ')} for ${looked} in ${seconds} s: ${r.found ? colour.red(count(r.findings.length, 'finding')) : colour.green('nothing found')}.`,
  )
  return `${lines.join('\n')}\n`
}

function describe(f: Finding): string {
  if (f.kind === 'value') {
    const where = `${f.commit ? `commit ${f.commit.slice(0, 12)} ` : f.staged ? 'staged ' : ''}${f.file}:${f.line}`
    const part = f.valueLine ? ` (line ${f.valueLine} of the value)` : ''
    return `${where}: the value of secret ${f.secret}, key ${f.key}${part}`
  }
  if (f.kind === 'literal') return `${f.file}:${f.line}: ${f.rule} in a manifest, outside data: move it to a value source, then rotate it`
  return `${f.file}: a .env file git tracks with values in clear (${f.keys.join(', ')}): encrypt it (dotenvx encrypt) or stop tracking it (git rm --cached), then rotate them`
}

function count(n: number, what: string): string {
  return `${n.toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'}`
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`
}
