/**
 * `envFile: PATH` on a secret: every key of a dotenv file becomes a key of the secret (values
 * parsed by the `dotenv` package, so quoting and escapes match what applications read). The
 * loader reads only the key names; values are read once per run at resolution. A line that is
 * not `KEY=VALUE` is an error naming the file and line (dotenv would drop it silently).
 */
import path from 'node:path'
import {parse} from 'dotenv'
import type {ResolveContext, SecretSourceKind} from './source-kind.js'
import {readValueFile, type FileRoots} from './value-files.js'

export interface EnvFileSource {
  kind: 'envFile'
  /** Absolute path of the dotenv file. */
  path: string
  declaredPath: string
  variable: string
}

/** Key → value of a dotenv text, and the 1-based numbers of lines that are not `KEY=VALUE`. */
export function parseEnvText(text: string): {values: Record<string, string>; badLines: number[]} {
  return {values: {...parse(text)}, badLines: malformedLines(text)}
}

const ASSIGNMENT = /^\s*(?:export\s+)?[\w.-]+(?:\s*=|:\s)/
const QUOTES = ['"', "'", '`']

/** Lines that are neither blank, a comment, `KEY=VALUE`, nor inside a quoted multi-line value. */
function malformedLines(text: string): number[] {
  const bad: number[] = []
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? ''
    if (!line.trim() || line.trimStart().startsWith('#')) continue
    if (!ASSIGNMENT.test(line)) {
      bad.push(i + 1)
      continue
    }
    // A quoted value left open on this line continues until the line holding its closing quote.
    const value = line.replace(ASSIGNMENT, '').trimStart()
    const quote = QUOTES.find((q) => value.startsWith(q))
    if (quote && !closes(value.slice(1), quote)) {
      while (i + 1 < lines.length && !closes(lines[i + 1] ?? '', quote)) i++
      i++
    }
  }
  return bad
}

function closes(rest: string, quote: string): boolean {
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '\\') i++
    else if (rest[i] === quote) return true
  }
  return false
}

/** The parsed file for this run, read once; a problem string when unreadable or malformed. */
function load(file: {path: string; declaredPath: string}, roots: FileRoots, cache: Map<string, unknown>): Record<string, string> | string {
  const id = `envFile\0${file.path}`
  if (cache.has(id)) return cache.get(id) as Record<string, string> | string
  const read = readValueFile(file.path, roots)
  let result: Record<string, string> | string
  if (!read.ok) result = `${read.problem}${read.hint ? ` (${read.hint})` : ''}`
  else {
    const {values, badLines} = parseEnvText(read.text)
    result = badLines.length
      ? `line${badLines.length > 1 ? 's' : ''} ${badLines.slice(0, 5).join(', ')}${badLines.length > 5 ? ', …' : ''}: not KEY=VALUE`
      : values
  }
  cache.set(id, result)
  return result
}

export const envFile: SecretSourceKind<EnvFileSource> = {
  kind: 'envFile',
  field: 'envFile',
  level: 'secret',
  summary: 'A dotenv file (relative to this manifest file) whose every key becomes a key of the secret.',
  schema: {type: 'string', minLength: 1},
  async expand(raw, ctx) {
    const file = {path: path.resolve(ctx.here, raw), declaredPath: raw}
    // Key names only; a file that cannot be used is reported by open() at resolution.
    const loaded = load(file, ctx.roots, new Map())
    if (typeof loaded === 'string') return {...file, keys: null}
    const keys: Record<string, EnvFileSource> = {}
    for (const variable of Object.keys(loaded)) keys[variable] = {kind: 'envFile', ...file, variable}
    return {...file, keys}
  },
  open(file, ctx) {
    const loaded = load(file, ctx.roots, ctx.cache)
    if (typeof loaded === 'string')
      // Named relative to the manifests directory, as the file list of `validate` names files.
      ctx.report(`${ctx.who}: envFile ${path.relative(ctx.roots.dir, file.path)} ${loaded}`, 'the path is relative to the manifest file')
  },
  resolve(source, ctx: ResolveContext) {
    const loaded = load(source, ctx.roots, ctx.cache)
    if (typeof loaded === 'string') return undefined // reported by open()
    const value = loaded[source.variable]
    if (value === undefined) {
      ctx.report(`${ctx.who}: envFile ${source.declaredPath} no longer holds ${source.variable}`)
      return undefined
    }
    return {source: 'envFile', value}
  },
}
