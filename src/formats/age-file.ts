/**
 * Opens age files (binary, or ASCII-armored as `age -a` and SOPS write them) with typage, the
 * age author's TypeScript implementation (`age-encryption`), and turns every way that can fail
 * into an EncryptedFileError that says what the file is encrypted to, as far as the file says it.
 *
 * An age header lists one stanza per recipient. An X25519 stanza carries only an ephemeral share,
 * so the recipient it was made for cannot be read back from the file; a message can give the
 * stanza types and count, and the recipients of the identities that were tried.
 * (Format: age-encryption.org/v1, C2SP age.md.)
 */
import type {Decrypter, Identity, Stanza} from 'age-encryption'
import {loadAge} from './age-library.js'
import type {AgeIdentitySet} from './age-identities.js'
import {EncryptedFileError} from './format-errors.js'

const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----'
const BINARY_MAGIC = 'age-encryption.org/v1\n'

/** What the header says about who can open the file: safe to print. */
export interface AgeHeaderSummary {
  armored: boolean
  /** One entry per stanza: its type (`X25519`, `mlkem768x25519`, `scrypt`, a plugin's name…). */
  stanzaTypes: string[]
}

/** How an age file was told apart: armored text, binary, or neither. */
export function ageEncoding(data: Uint8Array): 'armored' | 'binary' | undefined {
  const head = Buffer.from(data.subarray(0, 64)).toString('latin1')
  if (head.trimStart().startsWith(ARMOR_BEGIN)) return 'armored'
  if (head.startsWith(BINARY_MAGIC)) return 'binary'
  return undefined
}

/**
 * The stanza types of an age file's header (`X25519`, `scrypt`, …), read without any key; undefined
 * when the file is not age or its armor or header is broken (decryptAge then says how).
 */
export async function ageStanzaTypes(data: Uint8Array): Promise<string[] | undefined> {
  const encoding = ageEncoding(data)
  if (encoding === undefined) return undefined
  const {armor} = await loadAge()
  let binary: Uint8Array
  try {
    binary = encoding === 'armored' ? armor.decode(Buffer.from(data).toString('utf8')) : data
  } catch {
    return undefined
  }
  const header = splitHeader(binary)
  if (header === undefined) return undefined
  return Buffer.from(header)
    .toString('latin1')
    .split('\n')
    .filter((line) => line.startsWith('-> '))
    .map((line) => line.slice(3).split(' ')[0] ?? '?')
}

/** "2 recipient stanzas: X25519 ×2" */
export function describeStanzas(types: string[]): string {
  if (types.length === 0) return 'no recipient stanzas'
  const counts = new Map<string, number>()
  for (const t of types) counts.set(t, (counts.get(t) ?? 0) + 1)
  const parts = [...counts].map(([t, n]) => (n === 1 ? t : `${t} ×${n}`))
  return `${types.length} recipient stanza${types.length === 1 ? '' : 's'}: ${parts.join(', ')}`
}

export interface DecryptAgeOptions {
  /** What is being opened, for messages: the file itself by default, or e.g. `the SOPS data key for age1…`. */
  what?: string
  key?: string
  line?: number
  /** Use this Decrypter instead of one holding all of `identities` (SOPS narrows to matching recipients). */
  decrypter?: Decrypter
}

/**
 * The plaintext of an age file. `file` names it in errors. Throws EncryptedFileError:
 * no-key / wrong-key (with stanza types and where keys were looked for), bad-armor, truncated,
 * malformed, unsupported (a passphrase-encrypted file).
 */
export async function decryptAge(
  data: Uint8Array,
  file: string,
  identities: AgeIdentitySet,
  opts: DecryptAgeOptions = {},
): Promise<Uint8Array> {
  const what = opts.what ?? 'the age file'
  const fail = (problem: ConstructorParameters<typeof EncryptedFileError>[0], message: string, hint?: string) =>
    new EncryptedFileError(problem, file, message, {key: opts.key, line: opts.line, hint})

  const encoding = ageEncoding(data)
  if (encoding === undefined) throw fail('malformed', `${what} is not an age file (neither "${BINARY_MAGIC.trim()}" nor "${ARMOR_BEGIN}")`)
  let binary: Uint8Array
  if (encoding === 'armored') {
    const {armor} = await loadAge()
    try {
      binary = armor.decode(Buffer.from(data).toString('utf8'))
    } catch {
      throw fail('bad-armor', `${what} has broken ASCII armor (bad header or footer line, line length or base64)`)
    }
  } else {
    binary = data
  }

  const header = splitHeader(binary)
  if (header === undefined) throw fail('truncated', `${what} ends inside its header (no "---" MAC line)`)

  // A first identity that opens nothing but sees every stanza: the header's recipients, as far as they can be told.
  const seen: Stanza[] = []
  const recorder: Identity = {
    unwrapFileKey(stanzas) {
      if (seen.length === 0) seen.push(...stanzas)
      return null
    },
  }
  const decrypter = opts.decrypter ?? identities.decrypter()
  const withRecorder = identities.decrypter([recorder])
  const stanzaTypes = () => seen.map((s) => s.args[0] ?? '?')

  // The header alone first, so that what fails after it is known to be the payload.
  try {
    await withRecorder.decryptHeader(header)
  } catch (err) {
    const msg = err instanceof Error ? err.message : ''
    const types = stanzaTypes()
    if (types.length === 0 && !msg.startsWith('no identity matched')) throw fail('malformed', `${what} has a malformed header`)
    if (msg.startsWith('no identity matched')) {
      if (types.includes('scrypt')) {
        throw fail('unsupported', `${what} is encrypted with a passphrase (scrypt); secretctl opens only files encrypted to age recipients`)
      }
      throw await noKeyError(fail, what, types, identities)
    }
    if (msg === 'invalid header HMAC') throw fail('malformed', `${what} has a header whose MAC does not verify: it was altered`)
    throw fail('malformed', `${what} has a malformed recipient stanza (${describeStanzas(types)})`)
  }

  try {
    return await decrypter.decrypt(binary)
  } catch (err) {
    const msg = err instanceof Error ? err.message : ''
    // The header verified above; a narrowed decrypter that cannot open it means the caller narrowed wrongly.
    if (msg.startsWith('no identity matched')) throw await noKeyError(fail, what, stanzaTypes(), identities)
    throw fail('truncated', `${what} is truncated or damaged: its payload fails authentication`)
  }
}

async function noKeyError(
  fail: (p: 'no-key' | 'wrong-key', m: string, hint?: string) => EncryptedFileError,
  what: string,
  types: string[],
  identities: AgeIdentitySet,
): Promise<EncryptedFileError> {
  const stanzas = describeStanzas(types)
  const x25519 = types.includes('X25519') ? ' (an X25519 stanza does not name its recipient)' : ''
  if (identities.size === 0) {
    return fail(
      'no-key',
      `no age identity found to open ${what}, which has ${stanzas}${x25519}; looked in ${identities.describeLocations()}`,
      'put the identity (AGE-SECRET-KEY-1…) in SOPS_AGE_KEY, or its file path in SOPS_AGE_KEY_FILE',
    )
  }
  const mine = await identities.recipients()
  return fail(
    'wrong-key',
    `none of the ${identities.size} age identit${identities.size === 1 ? 'y' : 'ies'} found (recipients ${mine.join(', ')}) opens ${what}, which has ${stanzas}${x25519}; looked in ${identities.describeLocations()}`,
    'the file was encrypted to other recipients: ask someone who can open it to add your recipient',
  )
}

/** The header of a binary age file: up to and including the `---` MAC line, or undefined when it never ends. */
function splitHeader(binary: Uint8Array): Uint8Array | undefined {
  // The header is ASCII; search it as latin1 text so byte offsets are character offsets.
  const text = Buffer.from(binary.subarray(0, Math.min(binary.length, 1 << 20))).toString('latin1')
  const mac = text.startsWith('--- ') ? 0 : text.indexOf('\n--- ')
  if (mac < 0) return undefined
  const end = text.indexOf('\n', mac + 1)
  if (end < 0) return undefined
  return binary.subarray(0, end + 1)
}
