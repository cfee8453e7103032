/**
 * Values of the encrypted backend at rest: AES-256-GCM (node:crypto), one envelope per key of a
 * secret. Every write draws a fresh random 12-byte nonce (at 2^32 writes under one key the
 * collision risk reaches NIST's 2^-32 bound; `backend rekey` draws a new key long before).
 *
 * Envelope: `v1:` + base64(nonce(12) | ciphertext | tag(16)). The associated data binds each
 * envelope to its place: a label, the secret name and the key name, each length-prefixed (4-byte
 * big-endian byte count, then UTF-8), so `("ab","c")` and `("a","bc")` differ and a ciphertext
 * copied to another secret or key does not decrypt.
 *
 * The key check is a known constant sealed under the store's key with its own associated data,
 * stored beside the KDF spec. Opening it tells a wrong password (check fails) from an altered
 * value (check opens, the value does not), which GCM alone cannot.
 */
import {createCipheriv, createDecipheriv, type KeyObject, randomBytes} from 'node:crypto'
import type {SecretValues} from '../../state/types.js'
import {CorruptStoreError, CorruptValueError, WrongPasswordError} from './encrypted-errors.js'
import {decodeBase64} from './key-derivation.js'

export const ENVELOPE_VERSION = 'v1'
const NONCE_BYTES = 12
const TAG_BYTES = 16
const VALUE_LABEL = 'secretctl/encrypted/value/v1'
const KEY_CHECK_LABEL = 'secretctl/encrypted/key-check/v1'
const KEY_CHECK_CONSTANT = 'secretctl encrypted store key check v1'

/** The associated data of one value: label, secret, key, each as u32be(byte length) | UTF-8. */
export function valueAad(secret: string, key: string): Buffer {
  return lengthPrefixed([VALUE_LABEL, secret, key])
}

function keyCheckAad(): Buffer {
  return lengthPrefixed([KEY_CHECK_LABEL])
}

function lengthPrefixed(parts: string[]): Buffer {
  const chunks: Buffer[] = []
  for (const part of parts) {
    const bytes = Buffer.from(part, 'utf8')
    const length = Buffer.alloc(4)
    length.writeUInt32BE(bytes.length)
    chunks.push(length, bytes)
  }
  return Buffer.concat(chunks)
}

/** Seals a plaintext under the key with a fresh nonce; returns the envelope text. */
export function sealEnvelope(key: KeyObject, plaintext: Buffer, aad: Buffer): string {
  const nonce = randomBytes(NONCE_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, nonce, {authTagLength: TAG_BYTES})
  cipher.setAAD(aad)
  const body = Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
  return `${ENVELOPE_VERSION}:${body.toString('base64')}`
}

/** What opening an envelope gave: the plaintext, or why not (never which bytes). */
export type OpenResult =
  | {ok: true; plaintext: Buffer}
  | {ok: false; reason: 'malformed' | 'unsupported-version' | 'not-authentic'; detail: string}

/** Opens an envelope. Never throws for bad input: the caller decides which error it is. */
export function openEnvelope(key: KeyObject, envelope: unknown, aad: Buffer): OpenResult {
  if (typeof envelope !== 'string') return {ok: false, reason: 'malformed', detail: 'not a string'}
  const colon = envelope.indexOf(':')
  const version = colon > 0 ? envelope.slice(0, colon) : ''
  if (!/^v\d{1,4}$/.test(version)) return {ok: false, reason: 'malformed', detail: 'no version prefix'}
  if (version !== ENVELOPE_VERSION) {
    return {ok: false, reason: 'unsupported-version', detail: `envelope version ${version} is newer than this secretctl reads`}
  }
  const body = decodeBase64(envelope.slice(colon + 1))
  if (!body) return {ok: false, reason: 'malformed', detail: 'not base64'}
  if (body.length < NONCE_BYTES + TAG_BYTES) return {ok: false, reason: 'malformed', detail: 'truncated'}
  const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, NONCE_BYTES), {authTagLength: TAG_BYTES})
  decipher.setAAD(aad)
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES))
  try {
    const plaintext = Buffer.concat([decipher.update(body.subarray(NONCE_BYTES, body.length - TAG_BYTES)), decipher.final()])
    return {ok: true, plaintext}
  } catch {
    return {ok: false, reason: 'not-authentic', detail: 'it does not authenticate'}
  }
}

/**
 * The cipher of one unlocked store: its backend name (for messages) and its key. Build it with
 * `unlockStore` (store-document.ts), which verifies the key check first, so a failure here means
 * the value, not the password.
 */
export class ValueCipher {
  readonly backend: string
  readonly #key: KeyObject

  constructor(backend: string, key: KeyObject) {
    if (key.type !== 'secret' || key.symmetricKeySize !== 32) throw new TypeError('ValueCipher needs a 32-byte secret key')
    this.backend = backend
    this.#key = key
  }

  /** The envelope of one value of one secret's key. */
  seal(secret: string, key: string, value: string): string {
    const plaintext = Buffer.from(value, 'utf8')
    try {
      return sealEnvelope(this.#key, plaintext, valueAad(secret, key))
    } finally {
      plaintext.fill(0)
    }
  }

  /** The value in an envelope; CorruptValueError when it was altered, truncated or moved from another secret or key. */
  open(secret: string, key: string, envelope: unknown): string {
    const result = openEnvelope(this.#key, envelope, valueAad(secret, key))
    if (!result.ok) throw new CorruptValueError(this.backend, secret, key, result.detail)
    const value = result.plaintext.toString('utf8')
    result.plaintext.fill(0)
    return value
  }

  /** Every key of a secret sealed: key name -> envelope. */
  sealSecret(secret: string, values: SecretValues): Record<string, string> {
    // fromEntries defines properties, so a key called `__proto__` stays an ordinary entry.
    return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, this.seal(secret, key, value)]))
  }

  /** Every key of a secret opened; the first bad envelope throws (naming its key). */
  openSecret(secret: string, envelopes: Record<string, unknown>): SecretValues {
    return Object.fromEntries(Object.entries(envelopes).map(([key, envelope]) => [key, this.open(secret, key, envelope)]))
  }

  /** A new key-check value for this key, to store beside the KDF spec. */
  keyCheck(): string {
    return sealEnvelope(this.#key, Buffer.from(KEY_CHECK_CONSTANT, 'utf8'), keyCheckAad())
  }

  /**
   * Throws WrongPasswordError when the key check does not open under this key; CorruptStoreError
   * when it is not an envelope at all. (An altered key check also reads as a wrong password: the
   * format cannot tell those two apart, and both leave the values unreadable.)
   */
  verifyKeyCheck(envelope: unknown): void {
    const result = openEnvelope(this.#key, envelope, keyCheckAad())
    if (result.ok) {
      const matches = result.plaintext.toString('utf8') === KEY_CHECK_CONSTANT
      if (matches) return
      throw new CorruptStoreError(this.backend, 'the key check value opens but holds the wrong constant')
    }
    if (result.reason === 'not-authentic') throw new WrongPasswordError(this.backend)
    throw new CorruptStoreError(
      this.backend,
      `the key check value is unreadable: ${result.detail}`,
      result.reason === 'unsupported-version' ? 'upgrade secretctl' : undefined,
    )
  }
}
