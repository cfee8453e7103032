/** What an import did (or, dry, would do): the name mapping, each secret's outcome, the manifests written. */
import type {ChalkInstance} from 'chalk'
import type {ImportResult} from '../import/import-secrets.js'
import {plain} from './colour.js'

export function renderImportText(r: ImportResult, colour: ChalkInstance = plain): string {
  const glyph = {
    imported: colour.green('+'),
    'would import': colour.green('+'),
    'already imported': colour.dim('='),
    skipped: colour.yellow('-'),
    failed: colour.red('!'),
  }
  const lines = [`${r.dryRun ? 'Would import' : 'Import'} from ${r.source} (${r.origin}) to backend ${r.backend}:`]
  for (const s of r.secrets) {
    const renamed = s.name === null ? JSON.stringify(s.from) : s.from === s.name ? s.name : `${JSON.stringify(s.from)} → ${s.name}`
    const manifest = s.manifest ? `, manifest ${s.manifest}` : ''
    const keys = s.keys.length ? `; key${s.keys.length === 1 ? '' : 's'} ${s.keys.join(', ')}` : ''
    lines.push(`  ${glyph[s.status]} ${renamed} (${s.status}${keys}${manifest})`)
    if (s.reason) lines.push(`      ${s.reason}`)
    if (s.error) lines.push(`      ${s.error}`)
  }
  const count = (status: string) => r.secrets.filter((s) => s.status === status).length
  const skipped = count('skipped') ? `, ${count('skipped')} skipped` : ''
  if (r.dryRun)
    lines.push(`Dry run: ${count('would import')} to import, ${count('already imported')} already imported${skipped}; nothing changed.`)
  else {
    lines.push(
      `Import complete: ${count('imported')} imported, ${count('already imported')} already imported${skipped}, ${count('failed')} failed.`,
    )
    if (r.ok) lines.push('Next: secretctl plan (nothing to do), then commit the manifests.')
  }
  return `${lines.join('\n')}\n`
}
