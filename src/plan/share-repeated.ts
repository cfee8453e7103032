/**
 * One copy of what repeats across a plan's changes. A migration of 100,000 secrets is 100,000
 * changes with the same reason (`backend default → bao`), the same key lists and the same per-key
 * changes; a copy each (the reason a string built per change, a key list an array with room to
 * grow) was ~400 bytes per change, held for the whole apply (docs/performance.md, peak RSS at
 * 100,000). The shared parts are frozen: nothing changes a plan once computed, and a mistake that
 * tried would now throw instead of changing every change at once.
 */
import type {Change, KeyChange, SecretView} from './types.js'
import {intern} from '../intern.js'

export function shareRepeated(changes: Change[]): Change[] {
  const texts = new Map<string, string>()
  const lists = new Map<string, readonly string[]>()
  const keyChanges = new Map<string, Readonly<Record<string, KeyChange>>>()
  const text = (s: string): string => intern(texts, s)
  const list = (names: string[]): string[] => {
    const id = names.join('\0')
    let seen = lists.get(id)
    if (!seen) {
      seen = Object.freeze(names.slice()) // exactly its size
      lists.set(id, seen)
    }
    return seen as string[]
  }
  const views = new Map<string, Readonly<SecretView>>()
  const view = (v: SecretView): SecretView => {
    const id = `${v.backend}\0${v.keys.join('\0')}`
    let seen = views.get(id)
    if (!seen) {
      seen = Object.freeze({backend: text(v.backend), keys: list(v.keys)})
      views.set(id, seen)
    }
    return seen
  }
  for (const c of changes) {
    c.reason = text(c.reason)
    if (c.kind !== 'secret') continue
    if (c.before) c.before = view(c.before)
    if (c.after) c.after = view(c.after)
    if (c.action !== 'delete' && c.keys) {
      const id = JSON.stringify(c.keys)
      let seen = keyChanges.get(id)
      if (!seen) {
        seen = Object.freeze({...c.keys})
        keyChanges.set(id, seen)
      }
      c.keys = seen as Record<string, KeyChange>
    }
    if (c.action === 'move') {
      c.from = text(c.from)
      c.to = text(c.to)
    }
  }
  return changes
}
