/**
 * A backend update's changed fields, as Terraform shows a resource's attributes: each changed
 * leaf of `description`, `config` and `rotation` with its old and new value, credential-looking
 * config values masked, and a line diff (made with `diff`) when a value spans several lines.
 */
import {diffLines} from 'diff'
import {canonicalJson} from './canonical-json.js'
import {MASK, maskConfig} from './mask-config.js'
import type {FieldChange} from './types.js'

interface Side {
  description?: string | null
  config: Record<string, unknown>
  rotation?: Record<string, unknown> | null
}

export function fieldChanges(before: Side, after: Side): FieldChange[] {
  const old = leaves({
    description: before.description ?? undefined,
    config: maskConfig(before.config),
    rotation: before.rotation ?? undefined,
  })
  const now = leaves({description: after.description ?? undefined, config: maskConfig(after.config), rotation: after.rotation ?? undefined})
  const out: FieldChange[] = []
  for (const field of [...new Set([...old.keys(), ...now.keys()])].sort()) {
    const b = old.get(field)
    const a = now.get(field)
    if (canonicalJson(b) === canonicalJson(a)) {
      // Masked on both sides: compare what was masked, without showing it.
      if (b !== MASK || !sensitiveChanged(field, before, after)) continue
    }
    const change: FieldChange = {field, ...(b !== undefined ? {before: b} : {}), ...(a !== undefined ? {after: a} : {})}
    if ((typeof a === 'string' && a.includes('\n')) || (typeof b === 'string' && b.includes('\n')))
      change.lines = lineDiff(String(b ?? ''), String(a ?? ''))
    out.push(change)
  }
  return out
}

/** Dotted path → value for every leaf (arrays are leaves); undefined sides are left out. */
function leaves(value: Record<string, unknown>, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue
    const path = prefix ? `${prefix}.${k}` : k
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) leaves(v as Record<string, unknown>, path, out)
    else out.set(path, v)
  }
  return out
}

function sensitiveChanged(field: string, before: Side, after: Side): boolean {
  const pick = (side: Side) => field.split('.').reduce<unknown>((v, seg) => (v as Record<string, unknown> | undefined)?.[seg], side)
  return canonicalJson(pick(before)) !== canonicalJson(pick(after))
}

/** `- old line` / `+ new line` / `  same line`, as a unified diff shows them. */
function lineDiff(before: string, after: string): string[] {
  const out: string[] = []
  for (const part of diffLines(before, after)) {
    const mark = part.added ? '+ ' : part.removed ? '- ' : '  '
    for (const line of part.value.replace(/\n$/, '').split('\n')) out.push(mark + line)
  }
  return out
}
