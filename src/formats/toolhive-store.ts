/**
 * Reads ToolHive's encrypted secrets file (`$XDG_DATA_HOME/toolhive/secrets_encrypted`), for
 * `secretctl import toolhive`. The layout, from stacklok/toolhive `pkg/secrets/`:
 *   - encrypted.go (the 2026 version that defines secretsFileMagic; the search index gave no
 *     commit for it), kdf.go at 9fb4f660d384e60bda14f7486dc7c494c2be1751, aes/aes.go at
 *     5ba736135a1b4785dbd65fe5ce9e3a2054df7ac0.
 *   - Current format: "THVSEC" (6 bytes) | version 0x01 (1 byte) | salt (16 bytes) | body, where
 *     body = nonce(12) | AES-256-GCM ciphertext | tag(16), exactly aes.Encrypt's output, under the
 *     key Argon2id(password, salt, t=2, m=19456 KiB, p=1, 32 bytes). The cost is fixed by the
 *     version byte, not stored. aes.Encrypt passes nil associated data: none is used, and the
 *     header is not authenticated (a changed salt or version only makes the key wrong).
 *   - Legacy format (no magic): the bare body under SHA-256(password), unsalted.
 *   - Plaintext: Go's json.Marshal of {"secrets": map[string]string}: `{"secrets":{...}}`,
 *     `{"secrets":null}` for a nil map. An empty file is an empty store.
 * The password is the caller's: ToolHive keeps it in the OS keyring (service and account
 * "toolhive", factory.go) and passes TOOLHIVE_SECRETS_PASSWORD only to its detached children.
 *
 * GCM cannot tell a wrong password from an altered file; messages say so, as far as the format
 * allows. They never hold a value or the file's bytes.
 */
import {createDecipheriv, createHash} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import {deriveKey, type KdfSpec, TOOLHIVE_ARGON2ID} from '../backends/encrypted/key-derivation.js'
import {SecretctlError} from '../errors.js'

export const TOOLHIVE_MAGIC = 'THVSEC'
export const TOOLHIVE_VERSION = 0x01
const SALT_BYTES = 16
const HEADER_BYTES = TOOLHIVE_MAGIC.length + 1 + SALT_BYTES
const NONCE_BYTES = 12
const TAG_BYTES = 16

export type ToolhiveFormat = 'empty' | 'legacy' | 'thvsec-v1'

export interface ToolhiveSecrets {
  format: ToolhiveFormat
  /** ToolHive secret name -> value. */
  secrets: Record<string, string>
}

export type ToolhiveProblem = 'unreadable' | 'truncated' | 'unsupported-version' | 'wrong-password-or-altered' | 'malformed'

/** A ToolHive secrets file that cannot be read; `problem` says which way. */
export class ToolhiveStoreError extends SecretctlError {
  readonly file: string
  readonly problem: ToolhiveProblem

  constructor(file: string, problem: ToolhiveProblem, message: string, hint?: string) {
    super(`ToolHive secrets file ${file}: ${message}`, hint)
    this.file = file
    this.problem = problem
  }
}

/** Reads and decrypts a ToolHive secrets file. */
export async function readToolhiveStore(file: string, password: string): Promise<ToolhiveSecrets> {
  let data: Buffer
  try {
    data = await readFile(file)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error'
    throw new ToolhiveStoreError(
      file,
      'unreadable',
      `cannot read it (${code})`,
      'ToolHive keeps it at $XDG_DATA_HOME/toolhive/secrets_encrypted',
    )
  }
  return decodeToolhiveStore(data, password, file)
}

/** Decrypts the bytes of a ToolHive secrets file; `file` names it in messages. */
export async function decodeToolhiveStore(data: Buffer, password: string, file: string): Promise<ToolhiveSecrets> {
  if (data.length === 0) return {format: 'empty', secrets: {}}
  const framed = data.length >= TOOLHIVE_MAGIC.length && data.subarray(0, TOOLHIVE_MAGIC.length).toString('latin1') === TOOLHIVE_MAGIC
  if (!framed) {
    // Legacy: the whole file is nonce | ciphertext | tag under SHA-256(password).
    const key = createHash('sha256').update(password, 'utf8').digest()
    const plaintext = openBody(data, key, file, 'legacy format (no THVSEC header)')
    return {format: 'legacy', secrets: parsePlaintext(plaintext, file)}
  }
  if (data.length < HEADER_BYTES) {
    throw new ToolhiveStoreError(file, 'truncated', `truncated: the THVSEC header needs ${HEADER_BYTES} bytes, the file has ${data.length}`)
  }
  const version = data[TOOLHIVE_MAGIC.length]!
  if (version !== TOOLHIVE_VERSION) {
    throw new ToolhiveStoreError(
      file,
      'unsupported-version',
      `format version ${version}; this secretctl reads version ${TOOLHIVE_VERSION}`,
      'a newer ToolHive wrote it: upgrade secretctl, or export the secrets with that ToolHive',
    )
  }
  const salt = data.subarray(TOOLHIVE_MAGIC.length + 1, HEADER_BYTES)
  const spec: KdfSpec = {algorithm: 'argon2id', version: 19, ...TOOLHIVE_ARGON2ID, salt: salt.toString('base64')}
  const key = (await deriveKey(password, spec)).export()
  try {
    const plaintext = openBody(data.subarray(HEADER_BYTES), key, file, 'THVSEC version 1')
    return {format: 'thvsec-v1', secrets: parsePlaintext(plaintext, file)}
  } finally {
    key.fill(0)
  }
}

/** nonce(12) | ciphertext | tag(16) under the key, no associated data (aes.Decrypt). */
function openBody(body: Buffer, key: Buffer, file: string, format: string): Buffer {
  if (body.length < NONCE_BYTES + TAG_BYTES) {
    throw new ToolhiveStoreError(
      file,
      'truncated',
      `${format}: truncated (${body.length} bytes of ciphertext, at least ${NONCE_BYTES + TAG_BYTES} needed)`,
    )
  }
  const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, NONCE_BYTES), {authTagLength: TAG_BYTES})
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES))
  try {
    return Buffer.concat([decipher.update(body.subarray(NONCE_BYTES, body.length - TAG_BYTES)), decipher.final()])
  } catch {
    const legacy = format.startsWith('legacy')
    throw new ToolhiveStoreError(
      file,
      'wrong-password-or-altered',
      `${format}: cannot be decrypted: wrong password, or the file was altered or truncated${legacy ? ', or it is not a ToolHive secrets file' : ''}`,
      'use ToolHive\'s password (kept in the OS keyring under service "toolhive"); give it with TOOLHIVE_SECRETS_PASSWORD',
    )
  }
}

/** `{"secrets":{name: value}}` (or `{"secrets":null}`) -> the map; anything else is malformed, reported without content. */
function parsePlaintext(plaintext: Buffer, file: string): Record<string, string> {
  let value: unknown
  try {
    value = JSON.parse(plaintext.toString('utf8'))
  } catch {
    throw new ToolhiveStoreError(file, 'malformed', 'decrypts, but its content is not JSON')
  } finally {
    plaintext.fill(0)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !('secrets' in value)) {
    throw new ToolhiveStoreError(file, 'malformed', 'decrypts, but its content is not {"secrets": {...}}')
  }
  const secrets = (value as {secrets: unknown}).secrets
  if (secrets === null) return {}
  if (typeof secrets !== 'object' || Array.isArray(secrets))
    throw new ToolhiveStoreError(file, 'malformed', 'decrypts, but "secrets" is not an object')
  for (const [name, v] of Object.entries(secrets)) {
    if (typeof v !== 'string') throw new ToolhiveStoreError(file, 'malformed', `decrypts, but secret ${name} is not a string`)
  }
  return {...(secrets as Record<string, string>)}
}
