/**
 * What the sources of encrypted files (SOPS, age, dotenvx values) share, so that each of them is
 * only its format: the file is read through value-files.ts (inside the manifests directory, size
 * capped, regular files), opened once per run per file (the run's DecryptedFileCache, kept in
 * ResolveContext.cache), and each key then comes out as a value, as unknown (this machine has no
 * key for it: the caller decides whether a plan may go on), or as a problem reported at the
 * manifest field. Opened files hold plaintext: they never reach a message, JSON or util.inspect.
 */
import {createHash} from 'node:crypto'
import path from 'node:path'
import {inspect} from 'node:util'
import {DecryptedFileCache} from '../formats/decrypted-file-cache.js'
import {discoverAgeIdentities, type AgeIdentitySet} from '../formats/age-identities.js'
import {EncryptedFileError} from '../formats/format-errors.js'
import type {ResolveContext, ResolvedValue, ValueFileReport} from './source-kind.js'
import {ownCopy, readValueBytes, resolvedPath, type FileRoots} from './value-files.js'

/** The JSON Schema of a `{file, key}` source field (`fromSops`, `fromEnvFile`): a file and a key in it. */
export function fileKeySchema(file: string, key: string): object {
  return {
    type: 'object',
    properties: {
      file: {description: `${file}, relative to this manifest file.`, type: 'string', minLength: 1},
      key: {description: key, type: 'string', minLength: 1},
    },
    required: ['file', 'key'],
    additionalProperties: false,
  }
}

/** A `{file, key}` field as written, with the file resolved against the manifest file's directory. */
export function fileKeyOf(raw: unknown, here: string): {path: string; declaredPath: string; key: string} {
  const {file, key} = raw as {file: string; key: string}
  return {path: resolvedPath(here, file), declaredPath: ownCopy(file), key}
}

/** SHA-256 (hex) of a value's ciphertext as committed: the digest a plan without the key compares. */
export function cipherDigest(ciphertext: string | Uint8Array): string {
  return createHash('sha256').update(ciphertext).digest('hex')
}

/** One value file as this run opened it. Holds plaintext: never log it. */
export class OpenedFile {
  /** Key → digest of its ciphertext, for every key the file holds encrypted (a whole-file format uses the key ""). */
  readonly cipher: ReadonlyMap<string, string>
  /** What `validate` says of the file; absent for a file with nothing encrypted in it. */
  readonly report?: ValueFileReport
  /** Why the keys in `cipher` but not among the values could not be read. */
  readonly failure?: EncryptedFileError
  readonly #values: Map<string, string>

  /** `values`: key → value, for every key that could be read (decrypted, or plain in the file). */
  constructor(opts: {cipher?: Map<string, string>; values?: Map<string, string>; report?: ValueFileReport; failure?: EncryptedFileError}) {
    this.cipher = opts.cipher ?? new Map()
    this.#values = opts.values ?? new Map()
    this.report = opts.report
    this.failure = opts.failure
  }

  value(key: string): string | undefined {
    return this.#values.get(key)
  }

  has(key: string): boolean {
    return this.#values.has(key) || this.cipher.has(key)
  }

  /** Every key of the file, values first in file order, then the encrypted ones not read. */
  keys(): string[] {
    return [...new Set([...this.#values.keys(), ...this.cipher.keys()])]
  }

  toJSON(): unknown {
    return {file: this.report?.file, encryptedKeys: this.cipher.size}
  }

  [inspect.custom](): string {
    return `OpenedFile(${this.report?.file ?? 'plain'})`
  }
}

/** What opening needs: the run's file roots, cache and environment. */
export type OpenContext = Pick<ResolveContext, 'roots' | 'cache' | 'env' | 'describeFile'>

/** The file could not be read at all (does not exist, outside the manifests directory, …): words for a message. */
export interface Unreadable {
  problem: string
  hint?: string
}

class UnreadableFile extends Error {
  constructor(readonly unreadable: Unreadable) {
    super(unreadable.problem)
  }
}

const CACHE_ID = '\0decrypted-files'

function runCache(ctx: OpenContext): DecryptedFileCache {
  let cache = ctx.cache.get(CACHE_ID) as DecryptedFileCache | undefined
  if (!cache) {
    const roots: FileRoots = ctx.roots
    cache = new DecryptedFileCache((abs) => {
      const read = readValueBytes(abs, roots)
      if (!read.ok) throw new UnreadableFile({problem: read.problem, hint: read.hint})
      return read.bytes
    })
    ctx.cache.set(CACHE_ID, cache)
  }
  return cache
}

/** The age identities of this machine, looked for once per run (and per whether AGE_IDENTITY_FILE counts). */
export function runIdentities(ctx: OpenContext, includeAgeIdentityFile: boolean): Promise<AgeIdentitySet> {
  const id = `\0age-identities\0${includeAgeIdentityFile}`
  let found = ctx.cache.get(id) as Promise<AgeIdentitySet> | undefined
  if (!found) {
    found = discoverAgeIdentities({env: ctx.env, includeAgeIdentityFile})
    ctx.cache.set(id, found)
  }
  return found
}

/** The file relative to the manifests directory, as messages and `validate` name it. */
export function displayPath(absPath: string, roots: FileRoots): string {
  return path.relative(roots.dir, absPath).split(path.sep).join('/')
}

/**
 * The file at `absPath` opened by `open` (which gets its bytes and its display path, and reports
 * key and file problems in the OpenedFile rather than throwing them), once per run per file and
 * `kind`; or why it could not be read.
 */
export function openEncryptedFile(
  ctx: OpenContext,
  absPath: string,
  kind: string,
  open: (bytes: Buffer, display: string) => Promise<OpenedFile | Unreadable>,
): Promise<OpenedFile | Unreadable> {
  // One opening per file and kind for the whole run: a file with a thousand keys is read once, not once per key.
  const id = `\0opened\0${kind}\0${absPath}`
  let opened = ctx.cache.get(id) as Promise<OpenedFile | Unreadable> | undefined
  if (!opened) {
    opened = openOnce(ctx, absPath, kind, open)
    ctx.cache.set(id, opened)
  }
  return opened
}

async function openOnce(
  ctx: OpenContext,
  absPath: string,
  kind: string,
  open: (bytes: Buffer, display: string) => Promise<OpenedFile | Unreadable>,
): Promise<OpenedFile | Unreadable> {
  const display = displayPath(absPath, ctx.roots)
  try {
    const {value} = await runCache(ctx).get(absPath, kind, (bytes) => open(bytes, display))
    if (value instanceof OpenedFile && value.report) ctx.describeFile?.(value.report)
    return value
  } catch (err) {
    if (err instanceof UnreadableFile) return err.unreadable
    if (err instanceof EncryptedFileError) return {problem: err.message, hint: err.hint}
    throw err
  }
}

/** An OpenedFile for a file that is broken as a whole (not a SOPS file, malformed, unsupported). */
export function brokenFile(failure: EncryptedFileError, report: Omit<ValueFileReport, 'decrypts' | 'problem'>): OpenedFile {
  return new OpenedFile({report: {...report, decrypts: false, problem: failure.message}, failure})
}

const utf8 = new TextDecoder('utf-8', {fatal: true})

/** The text of a file or a decrypted payload, or undefined when it is not UTF-8. */
export function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes)
  } catch {
    return undefined
  }
}

/** A text file that is not UTF-8, in the words readValueFile uses. */
export const NOT_UTF8: Unreadable = {
  problem: 'is not UTF-8 text',
  hint: 'secret values are text: base64-encode binary data first (e.g. base64 -w0 FILE > FILE.b64)',
}

export interface KeyOptions {
  /** Recorded as the key's source (`sops`, `age`, …). */
  source: string
  /** Names the source in messages: `fromSops secrets/app.enc.yaml`. */
  what: string
  /** The message (and hint) when the file does not hold the key. */
  missing: () => {message: string; hint?: string}
  /** For a secret-level source: problems of the whole file were reported once by its open(), not per key. */
  fileProblemsReported?: boolean
}

/**
 * One key of an opened file as a resolved value: the value (with its ciphertext's digest), or
 * unknown when this machine has no key for it, or undefined when a problem was reported at the
 * source's field.
 */
export function keyOf(opened: OpenedFile | Unreadable, key: string, ctx: ResolveContext, opts: KeyOptions): ResolvedValue | undefined {
  if (!(opened instanceof OpenedFile)) {
    if (!opts.fileProblemsReported) ctx.report(`${ctx.who}: ${opts.what} ${opened.problem}`, opened.hint)
    return undefined
  }
  const value = opened.value(key)
  const digest = opened.cipher.get(key)
  if (value !== undefined) return digest === undefined ? {source: opts.source, value} : {source: opts.source, value, cipherDigest: digest}
  const failure = opened.failure
  if (failure?.keyUnavailable && digest !== undefined) {
    const unknown = {cipherDigest: digest, file: failure.file, reason: failure.message, ...(failure.hint ? {hint: failure.hint} : {})}
    return {source: opts.source, unknown}
  }
  if (failure && !failure.keyUnavailable) {
    if (!opts.fileProblemsReported) ctx.report(`${ctx.who}: ${failure.message}`, failure.hint)
    return undefined
  }
  const missing = opts.missing()
  ctx.report(`${ctx.who}: ${missing.message}`, missing.hint)
  return undefined
}

/** For a secret-level source's open(): reports a file that cannot be used at all, once, at the source's field. */
export function reportFileProblem(opened: OpenedFile | Unreadable, ctx: ResolveContext, what: string): void {
  if (!(opened instanceof OpenedFile)) ctx.report(`${ctx.who}: ${what} ${opened.problem}`, opened.hint)
  else if (opened.failure && !opened.failure.keyUnavailable) ctx.report(`${ctx.who}: ${opened.failure.message}`, opened.failure.hint)
}
