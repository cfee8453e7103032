import {describe, expect, it} from 'vitest'
import {CorruptStoreError, CorruptValueError, WrongPasswordError} from '../../../src/backends/encrypted/encrypted-errors.js'
import {deriveKey, newKdfSpec} from '../../../src/backends/encrypted/key-derivation.js'
import {ValueCipher, valueAad} from '../../../src/backends/encrypted/value-cipher.js'
import {CANARY_VALUE, caught, errorText, expectNoCanary, FAST_ARGON2ID} from './helpers.js'

async function cipher(password = 'pw', backend = 'enc'): Promise<ValueCipher> {
  return new ValueCipher(backend, await deriveKey(password, newKdfSpec(FAST_ARGON2ID)))
}

/** The envelope with one byte of its body (after `v1:`) changed. */
function flipByte(envelope: string, index: number): string {
  const body = Buffer.from(envelope.slice(3), 'base64')
  body[index < 0 ? body.length + index : index]! ^= 0x01
  return `v1:${body.toString('base64')}`
}

describe('ValueCipher envelopes', () => {
  it('round-trips values, including empty, multi-line and non-ASCII ones', async () => {
    const c = await cipher()
    for (const value of [CANARY_VALUE, '', 'line1\nline2\r\n', 'h\u00e9llo \u2713 \u{1f511}', 'x'.repeat(100_000)]) {
      expect(c.open('github', 'TOKEN', c.seal('github', 'TOKEN', value))).toBe(value)
    }
  })

  it('is v1: + base64(nonce(12) | ciphertext | tag(16)), and holds no trace of the value', async () => {
    const c = await cipher()
    const envelope = c.seal('github', 'TOKEN', CANARY_VALUE)
    expect(envelope).toMatch(/^v1:[A-Za-z0-9+/]+={0,2}$/)
    expect(Buffer.from(envelope.slice(3), 'base64')).toHaveLength(12 + Buffer.byteLength(CANARY_VALUE) + 16)
    expectNoCanary(envelope)
    expect(envelope).not.toContain(Buffer.from(CANARY_VALUE).toString('base64').slice(0, 12))
  })

  it('draws a fresh nonce for every write', async () => {
    const c = await cipher()
    const nonces = new Set<string>()
    for (let i = 0; i < 200; i++)
      nonces.add(
        Buffer.from(c.seal('s', 'k', 'same value').slice(3), 'base64')
          .subarray(0, 12)
          .toString('hex'),
      )
    expect(nonces.size).toBe(200)
  })

  it('binds the secret and key names: an envelope copied to another secret or key does not open', async () => {
    const c = await cipher()
    const envelope = c.seal('github', 'TOKEN', CANARY_VALUE)
    for (const [secret, key] of [
      ['gitlab', 'TOKEN'],
      ['github', 'OTHER'],
      ['github', 'token'],
    ] as const) {
      const err = await caught(() => c.open(secret, key, envelope))
      expect(err).toBeInstanceOf(CorruptValueError)
      expect(err.message).toBe(`value of secret ${secret} key ${key} on backend enc is corrupt or was altered (it does not authenticate)`)
      expectNoCanary(errorText(err))
    }
  })

  it('encodes the names unambiguously (length-prefixed): ("ab","c") is not ("a","bc")', async () => {
    expect(valueAad('ab', 'c').equals(valueAad('a', 'bc'))).toBe(false)
    expect(valueAad('a\u0000b', '').equals(valueAad('a', 'b'))).toBe(false)
    const c = await cipher()
    await expect(async () => c.open('a', 'bc', c.seal('ab', 'c', CANARY_VALUE))).rejects.toBeInstanceOf(CorruptValueError)
  })

  it('tells an altered or truncated envelope as corrupt, naming secret, key and backend, never the value', async () => {
    const c = await cipher('pw', 'vault-file')
    const envelope = c.seal('db', 'PASSWORD', CANARY_VALUE)
    const cases: Array<[string, unknown, string]> = [
      ['nonce changed', flipByte(envelope, 0), 'it does not authenticate'],
      ['ciphertext changed', flipByte(envelope, 14), 'it does not authenticate'],
      ['tag changed', flipByte(envelope, -1), 'it does not authenticate'],
      ['truncated to 18 bytes', envelope.slice(0, 3 + 24), 'truncated'],
      ['cut mid-character', envelope.slice(0, 20), 'not base64'],
      ['cut to the prefix', 'v1:', 'truncated'],
      ['not base64', `${envelope.slice(0, -4)}!!!!`, 'not base64'],
      ['no version', envelope.slice(3), 'no version prefix'],
      ['a newer version', `v2:${envelope.slice(3)}`, 'envelope version v2 is newer than this secretctl reads'],
      ['not a string', 42, 'not a string'],
    ]
    for (const [, bad, detail] of cases) {
      const err = await caught(() => c.open('db', 'PASSWORD', bad))
      expect(err).toBeInstanceOf(CorruptValueError)
      expect(err.message).toBe(`value of secret db key PASSWORD on backend vault-file is corrupt or was altered (${detail})`)
      expect(err.message).not.toMatch(/missing|not found/i)
      expectNoCanary(errorText(err))
    }
  })

  it('seals and opens a whole secret, with odd key names kept as ordinary keys', async () => {
    const c = await cipher()
    const values = {A: CANARY_VALUE, ['__proto__']: 'p', constructor: 'c'}
    const sealed = c.sealSecret('s', JSON.parse(JSON.stringify(values)))
    expect(Object.keys(sealed).sort()).toEqual(['A', '__proto__', 'constructor'])
    expect(c.openSecret('s', sealed)).toEqual(JSON.parse(JSON.stringify(values)))
  })

  it('refuses a key that is not 32 bytes', async () => {
    const {createSecretKey} = await import('node:crypto')
    expect(() => new ValueCipher('enc', createSecretKey(Buffer.alloc(16)))).toThrow(TypeError)
  })
})

describe('key check', () => {
  it('opens under the same key and says "wrong password for backend X" under another', async () => {
    const right = await cipher('right', 'enc')
    const check = right.keyCheck()
    expect(() => right.verifyKeyCheck(check)).not.toThrow()
    const wrong = await cipher('wrong', 'enc')
    const err = await caught(() => wrong.verifyKeyCheck(check))
    expect(err).toBeInstanceOf(WrongPasswordError)
    expect(err.message).toBe('wrong password for backend enc')
  })

  it('is bound to its own associated data: a value envelope is not a key check, and the reverse', async () => {
    const c = await cipher()
    expect(() => c.verifyKeyCheck(c.seal('s', 'k', 'secretctl encrypted store key check v1'))).toThrow(WrongPasswordError)
    expect(() => c.open('s', 'k', c.keyCheck())).toThrow(CorruptValueError)
  })

  it('a key check that is not an envelope is a corrupt store, not a wrong password', async () => {
    const c = await cipher()
    for (const bad of ['', 'v1:AAAA', 'garbage', 7]) {
      const err = await caught(() => c.verifyKeyCheck(bad))
      expect(err).toBeInstanceOf(CorruptStoreError)
      expect(err.message).toMatch(/^the key check value is unreadable: .* \(backend enc\)$/)
    }
  })
})
