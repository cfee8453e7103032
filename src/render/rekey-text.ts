/** What `backend rekey` did, and where the new password must now be. */
import type {ChalkInstance} from 'chalk'
import type {RekeyBackendResult} from '../operations/rekey-backend.js'
import {plain} from './colour.js'

export function renderRekeyText(r: RekeyBackendResult, colour: ChalkInstance = plain): string {
  const lines = [`${colour.green('✓')} backend ${r.backend} rekeyed: ${r.detail}`]
  for (const note of r.notes) lines.push(`${note.startsWith('WARNING') ? colour.yellow('!') : '·'} ${note}`)
  return `${lines.join('\n')}\n`
}
