/**
 * Writes ToolHive secrets files the way ToolHive's Go code does (stacklok/toolhive pkg/secrets/
 * encrypted.go writeFileSecrets, kdf.go, aes/aes.go), for the reader's tests: the current
 * "THVSEC" | 0x01 | salt | nonce | ciphertext | tag under Argon2id, and the legacy bare
 * nonce | ciphertext | tag under SHA-256(password). Salt and nonce can be fixed to compare bytes
 * with the independent vector (toolhive-vector.py).
 */
import {createCipheriv, createHash, randomBytes} from 'node:crypto'
import {writeFile} from 'node:fs/promises'
import {deriveKey, TOOLHIVE_ARGON2ID} from '../../src/backends/encrypted/key-derivation.js'

export interface ToolhiveWriteOptions {
  format: 'legacy' | 'thvsec'
  salt?: Buffer
  nonce?: Buffer
  /** The version byte to write (tests of an unknown version); default 1. */
  version?: number
}

/** Go's json.Marshal of {"secrets": map}: compact, keys sorted, UTF-8 kept, <, >, &, U+2028, U+2029 escaped. */
export function goJson(secrets: Record<string, string> | null): Buffer {
  const sorted =
    secrets === null
      ? null
      : Object.fromEntries(
          Object.keys(secrets)
            .sort()
            .map((k) => [k, secrets[k]!]),
        )
  const text = JSON.stringify({secrets: sorted})
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029')
  return Buffer.from(text, 'utf8')
}

/** aes.Encrypt: nonce | ciphertext | tag, no associated data. */
function seal(plaintext: Buffer, key: Buffer, nonce: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  return Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
}

export async function encodeToolhiveStore(
  secrets: Record<string, string> | null,
  password: string,
  opts: ToolhiveWriteOptions,
): Promise<Buffer> {
  const nonce = opts.nonce ?? randomBytes(12)
  const plaintext = goJson(secrets)
  if (opts.format === 'legacy') return seal(plaintext, createHash('sha256').update(password, 'utf8').digest(), nonce)
  const salt = opts.salt ?? randomBytes(16)
  const key = (
    await deriveKey(password, {algorithm: 'argon2id', version: 19, ...TOOLHIVE_ARGON2ID, salt: salt.toString('base64')})
  ).export()
  return Buffer.concat([Buffer.from('THVSEC', 'latin1'), Buffer.from([opts.version ?? 1]), salt, seal(plaintext, key, nonce)])
}

export async function writeToolhiveFile(
  file: string,
  secrets: Record<string, string> | null,
  password: string,
  opts: ToolhiveWriteOptions,
): Promise<Buffer> {
  const bytes = await encodeToolhiveStore(secrets, password, opts)
  await writeFile(file, bytes, {mode: 0o600})
  return bytes
}
