/**
 * The one place that lists the value sources. Every source lives in `src/sources/<field>.ts` and
 * is registered here by a single line; the Secret schema, the loader, resolution and the messages
 * that list sources all read this list.
 */
import type {KeySourceKind, SecretSourceKind, ValueSourceKind} from './source-kind.js'
import {fromEnv} from './from-env.js'
import {fromFile} from './from-file.js'
import {envFile} from './env-file.js'
import {generate} from './generate.js'
import {fromEnvFile} from './from-env-file.js'
import {fromSops} from './from-sops.js'
import {sopsFile} from './sops-file.js'
import {fromAge} from './from-age.js'

const SOURCES: readonly ValueSourceKind[] = [fromEnv, fromFile, envFile, generate, fromEnvFile, fromSops, sopsFile, fromAge]

const BY_KIND = new Map(SOURCES.map((s) => [s.kind, s]))

/** Sources named under `data.KEY`. */
export function keySources(): KeySourceKind[] {
  return SOURCES.filter((s): s is KeySourceKind => s.level === 'key')
}

/** Sources named on the secret itself (a file giving every key). */
export function secretSources(): SecretSourceKind[] {
  return SOURCES.filter((s): s is SecretSourceKind => s.level === 'secret')
}

/** The source that a key's recorded kind names (`env`, `file`, `generate`, `envFile`). */
export function sourceKind(kind: string): ValueSourceKind {
  const found = BY_KIND.get(kind)
  if (!found) throw new RangeError(`no value source of kind ${kind}`)
  return found
}

/** `fromEnv, fromFile, generate or envFile`: the fields a message can suggest. */
export function sourceFieldList(conjunction = 'or'): string {
  const fields = SOURCES.map((s) => s.field)
  return fields.length > 1 ? `${fields.slice(0, -1).join(', ')} ${conjunction} ${fields.at(-1)}` : (fields[0] ?? '')
}

/** When a YAML document among the manifests is a source's value file (a SOPS file), that format's name; else undefined. */
export function valueDocumentFormat(document: Record<string, unknown>): string | undefined {
  for (const source of SOURCES) {
    const format = source.valueDocument?.(document)
    if (format) return format
  }
  return undefined
}
