/**
 * Reads SOPS-encrypted YAML, JSON and dotenv files natively, with age recipients only, and
 * verifies their MAC; no sops binary. The protocol, from getsops/sops (`sops.go` Tree.Decrypt /
 * shouldBeEncrypted, `aes/cipher.go`, `stores/stores.go` Metadata.ToInternal, `decrypt/decrypt.go`):
 *
 * - one random 256-bit data key per file, age-encrypted (armored) to each recipient in `sops.age[].enc`;
 * - each leaf that the rules say is encrypted is ENC[AES256_GCM,…] with additional data the path of
 *   map keys down to it joined by ":" plus a trailing ":" (`a:b:`); list indices add nothing, so
 *   every item of a list shares its list's path;
 * - the rules: `unencrypted_suffix` (default `_unencrypted` when no rule is set), `encrypted_suffix`,
 *   `unencrypted_regex`, `encrypted_regex`, each tested against every key on the path;
 * - the MAC is SHA-512, upper-case hex, over every leaf's plaintext bytes in tree order (encrypted
 *   or not; only the encrypted ones, after a fixed 32-byte prefix, with `mac_only_encrypted`),
 *   stored as ENC[…] in `sops.mac` with `sops.lastmodified` (re-formatted as RFC 3339) as
 *   additional data. A changed, reordered, added or removed value is a MAC mismatch: an error, never a value.
 */
import {createHash, timingSafeEqual} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import {decryptAge} from './age-file.js'
import type {AgeIdentitySet} from './age-identities.js'
import {EncryptedFileError} from './format-errors.js'
import {decryptSopsValue, isSopsEncrypted, type SopsScalar, SopsValueError, sopsMacBytes, sopsValueText} from './sops-cipher.js'
import {detectSopsFormat, loadSopsFile, type SopsFormat, type SopsMap, type SopsNode} from './sops-stores.js'

export type {SopsFormat} from './sops-stores.js'

/** sops.go MACOnlyEncryptedInitialization: sha256("sops"), hashed first when only encrypted values are in the MAC. */
const MAC_ONLY_ENCRYPTED_INIT = Buffer.from('8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69', 'hex')
const DEFAULT_UNENCRYPTED_SUFFIX = '_unencrypted'
const OTHER_KEY_TYPES = ['pgp', 'kms', 'gcp_kms', 'azure_kv', 'hc_vault'] as const

/** What the file says about itself, readable without any key. Safe to print (recipients are public keys). */
export interface SopsFileInfo {
  file: string
  format: SopsFormat
  /** age recipients the data key is wrapped to. */
  recipients: string[]
  /** Other master-key types present (`pgp ×1`), which secretctl cannot use. */
  otherKeyTypes: string[]
  lastModified: string
  version?: string
  macOnlyEncrypted: boolean
  /** The one encryption rule in force (`unencrypted_suffix: _unencrypted` by default). */
  rule: {name: 'unencrypted_suffix' | 'encrypted_suffix' | 'unencrypted_regex' | 'encrypted_regex'; value: string}
}

export interface ParsedSopsFile extends SopsFileInfo {
  readonly branches: SopsMap[]
  readonly ageEntries: Array<{recipient: string; enc: string}>
  readonly mac: string
  readonly metadataLine?: number
}

/** The decrypted content. Holds secrets: never log it. */
export interface DecryptedSopsFile {
  info: SopsFileInfo
  /** Plain data: maps as objects, lists as arrays, ints as bigint, floats as number, `bytes` as Uint8Array. One per YAML document. */
  documents: unknown[]
  /** Every leaf by its dotted path (`db.password`, `hosts.0`), as text the way sops prints it; nulls left out. */
  leaves: Map<string, string>
}

/** Parses the file and its metadata without decrypting anything: for `validate`, and the first step of decryption. */
export function parseSopsFile(file: string, text: string, format: SopsFormat = detectSopsFormat(file, text)): ParsedSopsFile {
  const loaded = loadSopsFile(file, text, format)
  const at = {line: loaded.metadataLine}
  const md = loaded.metadata
  if (md === undefined) throw new EncryptedFileError('malformed', file, 'is not a SOPS file: it has no sops metadata')

  const str = (k: string) => (typeof md[k] === 'string' ? (md[k] as string) : undefined)
  const rules = (['unencrypted_suffix', 'encrypted_suffix', 'unencrypted_regex', 'encrypted_regex'] as const).filter((k) => str(k))
  if (rules.length > 1) {
    throw new EncryptedFileError('malformed', file, `sets ${rules.join(' and ')}; SOPS allows only one of them`, at)
  }
  for (const k of ['unencrypted_comment_regex', 'encrypted_comment_regex']) {
    if (str(k)) throw new EncryptedFileError('unsupported', file, `uses sops.${k}, which secretctl does not support`, at)
  }
  const rule = rules[0]
    ? {name: rules[0], value: str(rules[0]) as string}
    : {name: 'unencrypted_suffix' as const, value: DEFAULT_UNENCRYPTED_SUFFIX}
  if (rule.name.endsWith('regex')) goRegex(file, rule.value, at.line)

  const lastModified = str('lastmodified')
  if (lastModified === undefined || rfc3339(lastModified) === undefined) {
    throw new EncryptedFileError('malformed', file, 'has no valid sops.lastmodified (RFC 3339 time)', at)
  }

  // One flat key group, or `key_groups`; several groups split the data key with Shamir's scheme.
  const groups = Array.isArray(md.key_groups) ? (md.key_groups as unknown[]) : []
  const hasFlatKeys = ['age', ...OTHER_KEY_TYPES].some((t) => Array.isArray(md[t]) && (md[t] as unknown[]).length > 0)
  const group = (hasFlatKeys ? md : groups.length === 1 ? groups[0] : undefined) as Record<string, unknown> | undefined
  if (!hasFlatKeys && groups.length > 1) {
    throw new EncryptedFileError(
      'unsupported',
      file,
      `splits its data key over ${groups.length} key groups (Shamir); secretctl reads files with one key group`,
      at,
    )
  }
  const ageEntries: ParsedSopsFile['ageEntries'] = []
  const list = (k: string) => (group && Array.isArray(group[k]) ? (group[k] as unknown[]) : [])
  for (const e of list('age')) {
    const entry = e as Record<string, unknown> | null
    if (entry && typeof entry.recipient === 'string' && typeof entry.enc === 'string')
      ageEntries.push({recipient: entry.recipient.trim(), enc: entry.enc})
  }
  const otherKeyTypes = OTHER_KEY_TYPES.filter((t) => list(t).length > 0).map((t) => `${t} ×${list(t).length}`)
  const info: SopsFileInfo = {
    file,
    format: loaded.format,
    recipients: ageEntries.map((e) => e.recipient),
    otherKeyTypes,
    lastModified,
    version: str('version'),
    macOnlyEncrypted: md.mac_only_encrypted === true,
    rule,
  }
  if (ageEntries.length === 0) {
    const has = otherKeyTypes.length > 0 ? `it has ${otherKeyTypes.join(', ')}` : 'it lists no master keys'
    throw new EncryptedFileError('unsupported', file, `not supported: only age recipients (${has}, no age)`, {
      ...at,
      hint: 'add an age recipient with `sops updatekeys` (after adding it to .sops.yaml) or `sops rotate --add-age age1…`',
    })
  }
  return {...info, branches: loaded.branches, ageEntries, mac: str('mac') ?? '', metadataLine: loaded.metadataLine}
}

/** Decrypts a parsed file with the identities found on this machine; verifies every value and the MAC. */
export async function decryptSopsFile(parsed: ParsedSopsFile, identities: AgeIdentitySet): Promise<DecryptedSopsFile> {
  const dataKey = await unwrapDataKey(parsed, identities)
  const file = parsed.file
  const hash = createHash('sha512')
  if (parsed.macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INIT)
  const encrypted = encryptionRule(parsed)

  const walk = (node: SopsNode, path: string[], line: number | undefined): unknown => {
    if (node.kind === 'map') {
      const out: Record<string, unknown> = {}
      // defineProperty: a key named __proto__ is data here, not the object's prototype.
      for (const e of node.entries)
        Object.defineProperty(out, e.key, {
          value: walk(e.value, [...path, e.key], e.line),
          enumerable: true,
          writable: true,
          configurable: true,
        })
      return out
    }
    if (node.kind === 'list') return node.items.map((item) => walk(item, path, item.line ?? line))
    if (node.value === null) return null
    const isEncrypted = encrypted(path)
    let value: SopsScalar
    let macBytes: Uint8Array
    if (isEncrypted) {
      // A plain value where the rules say an encrypted one belongs was put there by hand (sops would not have written it).
      if (typeof node.value !== 'string' || (node.value !== '' && !isSopsEncrypted(node.value))) {
        throw new EncryptedFileError('tampered', file, 'should be encrypted but holds a plain value: the file was edited by hand', {
          line: node.line ?? line,
          key: path.join('.'),
        })
      }
      try {
        ;({value, macBytes} = decryptSopsValue(node.value, dataKey, `${path.join(':')}:`))
      } catch (err) {
        if (err instanceof SopsValueError)
          throw new EncryptedFileError(err.problem, file, err.message, {line: node.line ?? line, key: path.join('.')})
        throw err
      }
    } else {
      value = node.value
      macBytes = sopsMacBytes(value)
    }
    if (!parsed.macOnlyEncrypted || isEncrypted) hash.update(macBytes)
    return value
  }
  const documents = parsed.branches.map((b) => walk(b, [], b.line))

  verifyMac(parsed, dataKey, hash.digest())
  return {info: infoOf(parsed), documents, leaves: flattenSops(parsed.file, documents)}
}

/** Reads, parses and decrypts the file at `absPath`; `displayPath` names it in errors (relative to the manifests, say). */
export async function readSopsFile(absPath: string, identities: AgeIdentitySet, displayPath: string = absPath): Promise<DecryptedSopsFile> {
  const text = await readFile(absPath, 'utf8')
  return decryptSopsFile(parseSopsFile(displayPath, text), identities)
}

/** One leaf by dotted path (`fromSops: {key: a.b.c}`); an absent path is an error listing what the file has. */
export function sopsValue(decrypted: DecryptedSopsFile, keyPath: string): string {
  const v = decrypted.leaves.get(keyPath)
  if (v !== undefined) return v
  const known = [...decrypted.leaves.keys()]
  const shown = known.slice(0, 20).join(', ') + (known.length > 20 ? `, … (${known.length} in all)` : '')
  throw new EncryptedFileError('missing-key', decrypted.info.file, `has no value at "${keyPath}"`, {
    hint: known.length > 0 ? `it has ${shown}` : 'it has no values',
  })
}

/** Leaf paths → text: map keys and list indices joined by ".". Two leaves on one path (a key holding a ".") is an error. */
export function flattenSops(file: string, documents: unknown[]): Map<string, string> {
  const out = new Map<string, string>()
  const visit = (v: unknown, path: string[]) => {
    if (v === null || v === undefined) return
    if (Array.isArray(v)) {
      for (const [i, item] of v.entries()) visit(item, [...path, String(i)])
      return
    }
    if (typeof v === 'object' && !(v instanceof Uint8Array)) {
      for (const [k, child] of Object.entries(v as Record<string, unknown>)) visit(child, [...path, k])
      return
    }
    const key = path.join('.')
    if (out.has(key)) throw new EncryptedFileError('malformed', file, `has two values at the path "${key}" (a key holding a ".")`)
    out.set(key, sopsValueText(v as SopsScalar))
  }
  for (const doc of documents) visit(doc, [])
  return out
}

/**
 * Every leaf of a parsed (not decrypted) file by the same dotted paths flattenSops gives the
 * decrypted one, with its text as committed (`ENC[…]`, or a plain value) and line: the key names
 * and ciphertexts, readable without any key. Nulls left out, as in flattenSops.
 */
export function sopsLeaves(parsed: ParsedSopsFile): Map<string, {raw: string; line?: number}> {
  const out = new Map<string, {raw: string; line?: number}>()
  const visit = (node: SopsNode, path: string[], line: number | undefined) => {
    if (node.kind === 'map') {
      for (const e of node.entries) visit(e.value, [...path, e.key], e.line)
      return
    }
    if (node.kind === 'list') {
      for (const [i, item] of node.items.entries()) visit(item, [...path, String(i)], item.line ?? line)
      return
    }
    if (node.value === null) return
    const key = path.join('.')
    if (out.has(key)) throw new EncryptedFileError('malformed', parsed.file, `has two values at the path "${key}" (a key holding a ".")`)
    out.set(key, {raw: String(node.value), line: node.line ?? line})
  }
  for (const branch of parsed.branches) visit(branch, [], branch.line)
  return out
}

function infoOf(p: ParsedSopsFile): SopsFileInfo {
  return {
    file: p.file,
    format: p.format,
    recipients: p.recipients,
    otherKeyTypes: p.otherKeyTypes,
    lastModified: p.lastModified,
    version: p.version,
    macOnlyEncrypted: p.macOnlyEncrypted,
    rule: p.rule,
  }
}

/** The data key from the first `sops.age` entry an identity opens: entries whose recipient is one of ours first, then the rest. */
async function unwrapDataKey(parsed: ParsedSopsFile, identities: AgeIdentitySet): Promise<Uint8Array> {
  const file = parsed.file
  const at = {line: parsed.metadataLine}
  const recipients = parsed.recipients.join(', ')
  const other = parsed.otherKeyTypes.length > 0 ? ` (and ${parsed.otherKeyTypes.join(', ')}, which secretctl does not use)` : ''
  if (identities.size === 0) {
    throw new EncryptedFileError(
      'no-key',
      file,
      `no age identity found; the file is encrypted to ${recipients}${other}; looked in ${identities.describeLocations()}`,
      {
        ...at,
        hint: 'put the identity (AGE-SECRET-KEY-1…) in SOPS_AGE_KEY, or its file path in SOPS_AGE_KEY_FILE',
      },
    )
  }
  const mine = new Set(await identities.recipients())
  const ordered = [...parsed.ageEntries.filter((e) => mine.has(e.recipient)), ...parsed.ageEntries.filter((e) => !mine.has(e.recipient))]
  let damaged: EncryptedFileError | undefined
  for (const entry of ordered) {
    try {
      const key = await decryptAge(Buffer.from(entry.enc, 'utf8'), file, identities, {what: `the data key for ${entry.recipient}`, ...at})
      if (key.length !== 32)
        throw new EncryptedFileError('malformed', file, `holds a data key for ${entry.recipient} that is not 256 bits`, at)
      return key
    } catch (err) {
      if (!(err instanceof EncryptedFileError)) throw err
      // A damaged entry for one of our own recipients is worth reporting over a plain "wrong key".
      if (!err.keyUnavailable && mine.has(entry.recipient)) damaged ??= err
    }
  }
  if (damaged) throw damaged
  throw new EncryptedFileError(
    'wrong-key',
    file,
    `none of the ${identities.size} age identit${identities.size === 1 ? 'y' : 'ies'} found (recipients ${[...mine].join(', ')}) is a recipient of the file, which is encrypted to ${recipients}${other}; looked in ${identities.describeLocations()}`,
    {
      ...at,
      hint: 'ask someone who can decrypt it to add your recipient: `sops updatekeys` after editing .sops.yaml, or `sops rotate --add-age age1…`',
    },
  )
}

function verifyMac(parsed: ParsedSopsFile, dataKey: Uint8Array, computed: Buffer): void {
  const file = parsed.file
  const at = {line: parsed.metadataLine}
  const mismatch = (why: string) =>
    new EncryptedFileError('mac-mismatch', file, `MAC mismatch: ${why}; a value was changed, reordered, added or removed outside sops`, {
      ...at,
      hint: 'restore the file from version control, or re-encrypt it with sops',
    })
  if (parsed.mac === '') throw mismatch('the file has no sops.mac')
  let stored: SopsScalar
  try {
    stored = decryptSopsValue(parsed.mac, dataKey, rfc3339(parsed.lastModified) as string).value
  } catch {
    throw mismatch('sops.mac does not open with sops.lastmodified (one of them was changed)')
  }
  const storedBytes = typeof stored === 'string' && /^[0-9a-fA-F]{128}$/.test(stored) ? Buffer.from(stored, 'hex') : undefined
  if (!storedBytes || !timingSafeEqual(storedBytes, computed)) throw mismatch('the values do not hash to sops.mac')
}

/** shouldBeEncrypted: the one rule, tested against every key on the path (a suffix or regex on a map covers all below it). */
function encryptionRule(parsed: ParsedSopsFile): (path: string[]) => boolean {
  const {name, value} = parsed.rule
  switch (name) {
    case 'unencrypted_suffix':
      return (path) => !path.some((k) => k.endsWith(value))
    case 'encrypted_suffix':
      return (path) => path.some((k) => k.endsWith(value))
    case 'unencrypted_regex': {
      const re = goRegex(parsed.file, value, parsed.metadataLine)
      return (path) => !path.some((k) => re.test(k))
    }
    case 'encrypted_regex': {
      const re = goRegex(parsed.file, value, parsed.metadataLine)
      return (path) => path.some((k) => re.test(k))
    }
  }
}

/** A Go (RE2) regular expression as a JS RegExp: a leading `(?flags)` group becomes flags; anything JS cannot take is an error. */
function goRegex(file: string, source: string, line?: number): RegExp {
  const m = /^\(\?([imsU]+)\)/.exec(source)
  const flags = m ? [...new Set(m[1].replace('U', '').split(''))].join('') : ''
  try {
    return new RegExp(m ? source.slice(m[0].length) : source, flags)
  } catch {
    throw new EncryptedFileError('unsupported', file, 'has an encryption regex that secretctl cannot read as a regular expression', {line})
  }
}

/** time.Parse(time.RFC3339) then Format(time.RFC3339): fractional seconds dropped, a zero offset written "Z". */
export function rfc3339(s: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(s)
  if (!m) return undefined
  const offset = m[3] === '+00:00' || m[3] === '-00:00' ? 'Z' : m[3]
  return `${m[1]}T${m[2]}${offset}`
}
