/**
 * `envFile: PATH` on a secret: every key of a dotenv file becomes a key of the secret (values
 * parsed by the `dotenv` package, so quoting and escapes match what applications read). The
 * loader reads only the key names; values are read once per run at resolution. A line that is
 * not `KEY=VALUE` is an error naming the file and line (dotenv would drop it silently).
 * dotenvx-encrypted values (`encrypted:…`, src/formats/dotenvx.ts) are decrypted; plain ones pass
 * through, and dotenvx's `DOTENV_PUBLIC_KEY…` line is the file's metadata, not a key.
 */
import {parse} from 'dotenv'
import {EncryptedFileError} from '../formats/format-errors.js'
import {decryptDotenvx, dotenvxKeyNames, isDotenvxEncrypted, isDotenvxPublicKey} from '../formats/dotenvx.js'
import {
  cipherDigest,
  displayPath,
  keyOf,
  NOT_UTF8,
  OpenedFile,
  type OpenContext,
  openEncryptedFile,
  reportFileProblem,
  type Unreadable,
  utf8Text,
} from './encrypted-files.js'
import type {ResolveContext, SecretSourceKind, ValueFileReport} from './source-kind.js'
import {declaredFile, readValueFile} from './value-files.js'

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

/** What a dotenv file's text gives: every value (dotenvx public-key lines included), or why it cannot be used. */
function parseFile(text: string): {ok: true; values: Record<string, string>} | ({ok: false} & Unreadable) {
  const {values, badLines} = parseEnvText(text)
  if (!badLines.length) return {ok: true, values}
  const lines = `${badLines.slice(0, 5).join(', ')}${badLines.length > 5 ? ', …' : ''}`
  return {ok: false, problem: `line${badLines.length > 1 ? 's' : ''} ${lines}: not KEY=VALUE`}
}

/** The keys of the secret: every variable but dotenvx's `DOTENV_PUBLIC_KEY…` lines (the file's metadata, not values). */
function keyNames(values: Record<string, string>): string[] {
  return Object.keys(values).filter((k) => !isDotenvxPublicKey(k))
}

/**
 * The dotenv file at `absPath`, opened once per run: plain values as they are, `encrypted:` values
 * (dotenvx) decrypted with the private key dotenvx would use. Shared with `fromEnvFile`.
 */
export function openEnvFile(absPath: string, ctx: OpenContext): Promise<OpenedFile | Unreadable> {
  return openEncryptedFile(ctx, absPath, 'dotenv', async (bytes, display) => {
    const text = utf8Text(bytes)
    if (text === undefined) return NOT_UTF8
    const parsed = parseFile(text)
    if (!parsed.ok) return {problem: parsed.problem}
    const all = parsed.values
    const keys = keyNames(all)
    const encrypted = keys.filter((k) => isDotenvxEncrypted(all[k] as string))
    const plain = new Map(keys.filter((k) => !encrypted.includes(k)).map((k) => [k, all[k] as string]))
    if (encrypted.length === 0) return new OpenedFile({values: plain})
    const cipher = new Map(encrypted.map((k) => [k, cipherDigest(all[k] as string)]))
    const publicKey = all[dotenvxKeyNames(absPath, all).publicKeyName]
    const report = {file: display, format: 'dotenvx', recipients: publicKey ? [`public key ${publicKey}`] : []}
    const integrity = (status: ValueFileReport['integrity']['status']) => ({check: 'value authentication', status})
    try {
      const decrypted = await decryptDotenvx(absPath, text, {env: ctx.env, displayPath: display})
      const values = new Map(keys.map((k) => [k, decrypted.values[k] as string]))
      return new OpenedFile({cipher, values, report: {...report, decrypts: true, integrity: integrity('verified')}})
    } catch (err) {
      if (!(err instanceof EncryptedFileError)) throw err
      return new OpenedFile({
        cipher,
        values: plain,
        failure: err,
        report: {...report, decrypts: false, problem: err.message, integrity: integrity(err.keyUnavailable ? 'not checked' : 'failed')},
      })
    }
  })
}

export const envFile: SecretSourceKind<EnvFileSource> = {
  kind: 'envFile',
  field: 'envFile',
  level: 'secret',
  summary:
    'A dotenv file (relative to this manifest file) whose every key becomes a key of the secret; dotenvx-encrypted values (`encrypted:…`) are decrypted.',
  schema: {type: 'string', minLength: 1},
  async expand(raw, ctx) {
    const file = declaredFile(raw, ctx)
    // Key names only (dotenvx leaves them in the clear); a file that cannot be used is reported by open() at resolution.
    const read = readValueFile(file.path, ctx.roots)
    const parsed = read.ok ? parseFile(read.text) : undefined
    if (!parsed?.ok) return {...file, keys: null}
    const keys: Record<string, EnvFileSource> = {}
    for (const variable of keyNames(parsed.values)) keys[variable] = {kind: 'envFile', ...file, variable}
    return {...file, keys}
  },
  valueFile: (source) => source.path,
  async open(file, ctx) {
    const opened = await openEnvFile(file.path, ctx)
    if (!(opened instanceof OpenedFile)) {
      // Named relative to the manifests directory, as the file list of `validate` names files.
      const rel = displayPath(file.path, ctx.roots)
      ctx.report(
        `${ctx.who}: envFile ${rel} ${opened.problem}${opened.hint ? ` (${opened.hint})` : ''}`,
        'the path is relative to the manifest file',
      )
    } else reportFileProblem(opened, ctx, 'envFile')
  },
  async resolve(source, ctx: ResolveContext) {
    return keyOf(await openEnvFile(source.path, ctx), source.variable, ctx, {
      source: 'envFile',
      what: `envFile ${source.declaredPath}`,
      fileProblemsReported: true,
      missing: () => ({message: `envFile ${source.declaredPath} no longer holds ${source.variable}`}),
    })
  },
}
