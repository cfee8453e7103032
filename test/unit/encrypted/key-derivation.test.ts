import {inspect} from 'node:util'
import {describe, expect, it} from 'vitest'
import {CorruptStoreError} from '../../../src/backends/encrypted/encrypted-errors.js'
import {
  DEFAULT_ARGON2ID,
  DerivedKeyCache,
  deriveKey,
  type KdfSpec,
  meetsOwaspMinimum,
  newKdfSpec,
  parseKdfSpec,
  TOOLHIVE_ARGON2ID,
} from '../../../src/backends/encrypted/key-derivation.js'
import {FAST_ARGON2ID} from './helpers.js'

describe('Argon2id parameters', () => {
  it('defaults to RFC 9106 option 2 (t=3, 64 MiB, p=4), above OWASP minimum; ToolHive sits at the minimum', () => {
    expect(DEFAULT_ARGON2ID).toEqual({timeCost: 3, memoryKiB: 65_536, parallelism: 4})
    expect(meetsOwaspMinimum(DEFAULT_ARGON2ID)).toBe(true)
    expect(meetsOwaspMinimum(TOOLHIVE_ARGON2ID)).toBe(true)
    expect(meetsOwaspMinimum({timeCost: 1, memoryKiB: 47_104, parallelism: 1})).toBe(true)
    expect(meetsOwaspMinimum({timeCost: 1, memoryKiB: 19_456, parallelism: 1})).toBe(false)
    expect(meetsOwaspMinimum(FAST_ARGON2ID)).toBe(false)
  })

  it('a new spec has a fresh 16-byte salt, the given cost, and survives JSON', () => {
    const a = newKdfSpec()
    const b = newKdfSpec()
    expect(a.salt).not.toBe(b.salt)
    expect(Buffer.from(a.salt, 'base64')).toHaveLength(16)
    expect(a).toMatchObject({algorithm: 'argon2id', version: 19, ...DEFAULT_ARGON2ID})
    expect(parseKdfSpec(JSON.parse(JSON.stringify(a)), 'enc')).toEqual(a)
  })

  it.each([
    ['not an object', null, 'kdf is not an object'],
    ['another algorithm', {algorithm: 'scrypt'}, 'is not argon2id'],
    ['another version', {version: 16}, 'kdf.version'],
    ['memory above 1 GiB (a crafted file must not allocate terabytes)', {memoryKiB: 1_048_577}, 'kdf.memoryKiB'],
    ['fractional passes', {timeCost: 1.5}, 'kdf.timeCost'],
    ['no lanes', {parallelism: 0}, 'kdf.parallelism'],
    ['less than 8 KiB per lane', {memoryKiB: 16, parallelism: 4}, 'kdf.memoryKiB'],
    ['salt not base64', {salt: 'not base64!'}, 'kdf.salt'],
    ['salt too short', {salt: Buffer.alloc(4).toString('base64')}, 'kdf.salt'],
  ])('a stored spec with %s is a CorruptStoreError naming the field', (_, change, field) => {
    const spec = change === null ? null : {...newKdfSpec(FAST_ARGON2ID), ...change}
    let err: unknown
    try {
      parseKdfSpec(spec, 'enc', 'store file /x/s.json: ')
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(CorruptStoreError)
    expect((err as Error).message).toContain(field)
    expect((err as Error).message).toContain('store file /x/s.json: ')
    expect((err as Error).message).toContain('(backend enc)')
  })
})

describe('deriveKey', () => {
  it('gives the key that OpenSSL Argon2id gives (independent implementation: test/support/toolhive-vector.py)', async () => {
    const spec: KdfSpec = {
      algorithm: 'argon2id',
      version: 19,
      ...TOOLHIVE_ARGON2ID,
      salt: Buffer.from([...Array(16).keys()]).toString('base64'),
    }
    const key = await deriveKey('vector-password-\u00e9', spec)
    expect(key.export().toString('hex')).toBe('15f0b0ed0cdf3615a16bec4f53b6df3f456d4063ab870001302ad6e13158d663')
  })

  it('depends on password, salt and every cost parameter', async () => {
    const spec = newKdfSpec(FAST_ARGON2ID)
    const base = (await deriveKey('pw', spec)).export().toString('hex')
    const variants = [
      await deriveKey('pw2', spec),
      await deriveKey('pw', {...spec, salt: newKdfSpec(FAST_ARGON2ID).salt}),
      await deriveKey('pw', {...spec, timeCost: 2}),
      await deriveKey('pw', {...spec, memoryKiB: 2048}),
      await deriveKey('pw', {...spec, parallelism: 2}),
    ]
    for (const v of variants) expect(v.export().toString('hex')).not.toBe(base)
    expect((await deriveKey('pw', spec)).export().toString('hex')).toBe(base)
  })

  it('returns a 32-byte KeyObject whose printed form shows no key bytes', async () => {
    const key = await deriveKey('pw', newKdfSpec(FAST_ARGON2ID))
    expect(key.type).toBe('secret')
    expect(key.symmetricKeySize).toBe(32)
    const printed = `${inspect(key)} ${JSON.stringify(key)} ${String(key)}`
    expect(printed).not.toContain(key.export().toString('hex'))
    expect(printed).not.toContain(key.export().toString('base64'))
  })
})

describe('DerivedKeyCache', () => {
  it('derives once per password and spec, and shares a derivation in progress', async () => {
    const cache = new DerivedKeyCache()
    const spec = newKdfSpec(FAST_ARGON2ID)
    const [a, b] = await Promise.all([cache.derive('pw', spec), cache.derive('pw', spec)])
    const c = await cache.derive('pw', {...spec})
    expect(cache.derivations).toBe(1)
    expect(b).toBe(a)
    expect(c).toBe(a)
  })

  it('derives again for another password on the same store: a retry after a wrong password gets its own key', async () => {
    const cache = new DerivedKeyCache()
    const spec = newKdfSpec(FAST_ARGON2ID)
    const wrong = await cache.derive('wrong', spec)
    const right = await cache.derive('right', spec)
    expect(cache.derivations).toBe(2)
    expect(right.export().equals(wrong.export())).toBe(false)
    expect(right.export().equals((await deriveKey('right', spec)).export())).toBe(true)
  })

  it('never holds the password in a form that prints, and keeps a bounded number of keys', async () => {
    const cache = new DerivedKeyCache(2)
    const password = 'CANARY-cache-password-91c2'
    for (let i = 0; i < 3; i++) await cache.derive(password, newKdfSpec(FAST_ARGON2ID))
    expect(cache.size).toBe(2)
    const printed = `${inspect(cache, {showHidden: true, depth: 5})} ${JSON.stringify(cache)}`
    expect(printed).not.toContain(password)
    cache.clear()
    expect(cache.size).toBe(0)
  })
})
