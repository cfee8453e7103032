/**
 * `sopsFile: PATH` on a secret: every leaf of a SOPS-encrypted YAML, JSON or dotenv file (age
 * recipients; src/formats/sops-file.ts) becomes a key of the secret, named by its path (`db.password`,
 * `hosts.0`), as `envFile` does for a dotenv file. The key names are read at load from the file
 * itself (SOPS leaves them in the clear); a leaf whose path is not a valid key name is refused by
 * the loader, naming the leaf (give it a name of its own with `fromSops` instead). The values are
 * decrypted once per run, after the MAC is verified. Also the opening of SOPS files that `fromSops` shares.
 */
import {EncryptedFileError} from '../formats/format-errors.js'
import {decryptSopsFile, parseSopsFile, type ParsedSopsFile, sopsLeaves} from '../formats/sops-file.js'
import {
  brokenFile,
  cipherDigest,
  displayPath,
  keyOf,
  NOT_UTF8,
  type OpenContext,
  OpenedFile,
  openEncryptedFile,
  reportFileProblem,
  runIdentities,
  type Unreadable,
  utf8Text,
} from './encrypted-files.js'
import type {SecretSourceKind} from './source-kind.js'
import {declaredFile, readValueFile} from './value-files.js'

export interface SopsFileSource {
  kind: 'sopsFile'
  /** Absolute path of the SOPS file. */
  path: string
  declaredPath: string
  /** The leaf's dotted path in the file. */
  leaf: string
}

const MAC = 'MAC'

/** The SOPS file at `absPath`, opened once per run: every leaf's ciphertext digest, and its value when this machine can decrypt it. */
export function openSops(absPath: string, ctx: OpenContext): Promise<OpenedFile | Unreadable> {
  return openEncryptedFile(ctx, absPath, 'sops', async (bytes, display) => {
    const text = utf8Text(bytes)
    if (text === undefined) return NOT_UTF8
    let parsed: ParsedSopsFile
    let cipher: Map<string, string>
    try {
      parsed = parseSopsFile(display, text)
      cipher = new Map([...sopsLeaves(parsed)].map(([key, leaf]) => [key, cipherDigest(leaf.raw)]))
    } catch (err) {
      if (!(err instanceof EncryptedFileError)) throw err
      return brokenFile(err, {file: display, format: 'SOPS', recipients: [], integrity: {check: MAC, status: 'not checked'}})
    }
    const report = {file: display, format: `SOPS (${parsed.format})`, recipients: [...parsed.recipients, ...parsed.otherKeyTypes]}
    try {
      const decrypted = await decryptSopsFile(parsed, await runIdentities(ctx, false))
      return new OpenedFile({
        cipher,
        values: decrypted.leaves,
        report: {...report, decrypts: true, integrity: {check: MAC, status: 'verified'}},
      })
    } catch (err) {
      if (!(err instanceof EncryptedFileError)) throw err
      // The data key opened, but a value or the MAC did not verify: the file was tampered with.
      const tampered = err.problem === 'mac-mismatch' || err.problem === 'tampered'
      const integrity = {check: MAC, status: tampered ? ('failed' as const) : ('not checked' as const)}
      return new OpenedFile({cipher, failure: err, report: {...report, decrypts: tampered, problem: err.message, integrity}})
    }
  })
}

/** A document SOPS encrypted: a `sops:` mapping at the top level (its metadata), which no manifest kind has. */
export function isSopsDocument(document: Record<string, unknown>): boolean {
  const sops = document.sops
  return typeof sops === 'object' && sops !== null && !Array.isArray(sops)
}

/** "it has a, b, … (12 in all)": what a message about a missing key path lists (key paths are in the clear in the file). */
export function listKeys(keys: string[]): string {
  if (keys.length === 0) return 'it has no values'
  return `it has ${keys.slice(0, 20).join(', ')}${keys.length > 20 ? `, … (${keys.length} in all)` : ''}`
}

export const sopsFile: SecretSourceKind<SopsFileSource> = {
  kind: 'sopsFile',
  field: 'sopsFile',
  level: 'secret',
  summary:
    'A SOPS-encrypted YAML, JSON or dotenv file with age recipients (relative to this manifest file) whose every value becomes a key of the secret, named by its path (`db.password`).',
  schema: {type: 'string', minLength: 1},
  async expand(raw, ctx) {
    const file = declaredFile(raw, ctx)
    // Key names only (in the clear in a SOPS file); a file that cannot be used is reported by open() at resolution.
    const read = readValueFile(file.path, ctx.roots)
    if (!read.ok) return {...file, keys: null}
    let leaves: string[]
    try {
      leaves = [...sopsLeaves(parseSopsFile(displayPath(file.path, ctx.roots), read.text)).keys()]
    } catch {
      return {...file, keys: null}
    }
    const keys: Record<string, SopsFileSource> = {}
    for (const leaf of leaves) keys[leaf] = {kind: 'sopsFile', ...file, leaf}
    return {...file, keys}
  },
  valueFile: (source) => source.path,
  valueDocument: (document) => (isSopsDocument(document) ? 'SOPS-encrypted' : undefined),
  async open(file, ctx) {
    reportFileProblem(await openSops(file.path, ctx), ctx, `sopsFile ${displayPath(file.path, ctx.roots)}`)
  },
  async resolve(source, ctx) {
    const opened = await openSops(source.path, ctx)
    return keyOf(opened, source.leaf, ctx, {
      source: 'sopsFile',
      what: `sopsFile ${source.declaredPath}`,
      fileProblemsReported: true,
      missing: () => ({
        message: `sopsFile ${source.declaredPath} no longer holds ${source.leaf}`,
        hint: opened instanceof OpenedFile ? listKeys(opened.keys()) : undefined,
      }),
    })
  },
}
