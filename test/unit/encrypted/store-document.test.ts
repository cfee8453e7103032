import {describe, expect, it} from 'vitest'
import {CorruptStoreError, CorruptValueError, WrongPasswordError} from '../../../src/backends/encrypted/encrypted-errors.js'
import {DEFAULT_ARGON2ID, DerivedKeyCache} from '../../../src/backends/encrypted/key-derivation.js'
import {rekeyDocument, reencryptEnvelopes} from '../../../src/backends/encrypted/rekey.js'
import {
  createStoreHeader,
  emptyStoreDocument,
  parseStoreDocument,
  putSecret,
  readSecret,
  removeSecret,
  secretVersion,
  type StoreDocument,
  StoreEdit,
  unlockStore,
} from '../../../src/backends/encrypted/store-document.js'
import {CANARY_NEW_PASSWORD, CANARY_PASSWORD, CANARY_VALUE, caught, errorText, expectNoCanary, FAST_ARGON2ID} from './helpers.js'

async function storeWith(secrets: Record<string, Record<string, string>>, password = CANARY_PASSWORD, cache = new DerivedKeyCache()) {
  const {header, cipher} = await createStoreHeader('enc', password, {params: FAST_ARGON2ID, cache})
  let doc = emptyStoreDocument(header)
  for (const [name, values] of Object.entries(secrets)) doc = putSecret(doc, cipher, name, values)
  return {doc, cipher, cache}
}

describe('store header', () => {
  it('a store created with the default cost records it and opens with its password (the real Argon2id cost)', async () => {
    const cache = new DerivedKeyCache()
    const {header} = await createStoreHeader('enc', CANARY_PASSWORD, {cache})
    expect(header.kdf).toMatchObject(DEFAULT_ARGON2ID)
    // Same cache: the key derived at creation is reused, the cost is paid once.
    await unlockStore(header, CANARY_PASSWORD, 'enc', cache)
    expect(cache.derivations).toBe(1)
    expectNoCanary(JSON.stringify(header))
  })

  it('a wrong password is "wrong password for backend X", never a missing secret', async () => {
    const {doc} = await storeWith({github: {TOKEN: CANARY_VALUE}})
    const err = await caught(() => unlockStore(doc, 'not the password', 'enc', new DerivedKeyCache()))
    expect(err).toBeInstanceOf(WrongPasswordError)
    expect(err.message).toBe('wrong password for backend enc')
    expect((err as WrongPasswordError).backend).toBe('enc')
    expectNoCanary(errorText(err))
  })

  it('the right password after a wrong one opens the store (same run, same cache)', async () => {
    const {doc, cache} = await storeWith({github: {TOKEN: CANARY_VALUE}})
    await expect(unlockStore(doc, 'typo', 'enc', cache)).rejects.toBeInstanceOf(WrongPasswordError)
    const cipher = await unlockStore(doc, CANARY_PASSWORD, 'enc', cache)
    expect(readSecret(doc, cipher, 'github')).toEqual({TOKEN: CANARY_VALUE})
  })
})

describe('store document', () => {
  it('puts, reads and removes secrets without changing the document it was given', async () => {
    const {doc, cipher} = await storeWith({github: {TOKEN: CANARY_VALUE, USER: 'octo'}})
    const before = JSON.stringify(doc)
    const next = putSecret(doc, cipher, 'db', {URL: 'postgres://x'})
    expect(JSON.stringify(doc)).toBe(before)
    expect(readSecret(next, cipher, 'db')).toEqual({URL: 'postgres://x'})
    expect(readSecret(next, cipher, 'github')).toEqual({TOKEN: CANARY_VALUE, USER: 'octo'})
    expect(readSecret(next, cipher, 'nope')).toBeUndefined()
    const removed = removeSecret(next, 'github')
    expect(readSecret(removed, cipher, 'github')).toBeUndefined()
    expect(Object.keys(removed.secrets)).toEqual(['db'])
    expect(removeSecret(removed, 'github')).toBe(removed)
    expectNoCanary(JSON.stringify(next))
  })

  it('an edit makes many changes on one copy: the same document as one change at a time, the original untouched', async () => {
    const {doc, cipher} = await storeWith({a: {K: 'x'}, gone: {K: 'g'}})
    const before = JSON.stringify(doc)
    const edit = new StoreEdit(doc)
    edit.put(cipher, 'a', {K: 'y'})
    edit.put(cipher, '__proto__', {K: 'p'})
    edit.put(cipher, 'b', {K: CANARY_VALUE})
    expect(edit.remove('gone')).toBe(true)
    expect(edit.remove('never')).toBe(false)
    expect(JSON.stringify(doc)).toBe(before)
    let oneByOne = putSecret(putSecret(putSecret(doc, cipher, 'a', {K: 'y'}), cipher, '__proto__', {K: 'p'}), cipher, 'b', {
      K: CANARY_VALUE,
    })
    oneByOne = removeSecret(oneByOne, 'gone')
    for (const d of [edit.doc, oneByOne]) {
      expect(Object.keys(d.secrets)).toEqual(['a', '__proto__', 'b'])
      expect(d.versions).toEqual(
        Object.fromEntries([
          ['a', 2],
          ['__proto__', 1],
          ['b', 1],
        ]),
      )
      expect(Object.getPrototypeOf(d.secrets)).toBe(Object.prototype)
      expect(readSecret(d, cipher, '__proto__')).toEqual({K: 'p'})
      expect(readSecret(d, cipher, 'b')).toEqual({K: CANARY_VALUE})
    }
    expectNoCanary(JSON.stringify(edit.doc))
  })

  it('counts the writes of each secret: the version the file variant reports', async () => {
    const {doc, cipher} = await storeWith({a: {K: 'x'}})
    expect(secretVersion(doc, 'a')).toBe(1)
    const twice = putSecret(putSecret(doc, cipher, 'a', {K: 'y'}), cipher, 'b', {K: 'z'})
    expect(twice.versions).toEqual({a: 2, b: 1})
    expect(secretVersion(removeSecret(twice, 'a'), 'a')).toBe(0)
    // A file without counters (or with stray ones) still parses.
    const {versions: _, ...without} = JSON.parse(JSON.stringify(twice))
    expect(parseStoreDocument(without, 'enc').versions).toEqual({})
    expect(parseStoreDocument({...without, versions: {a: 2, gone: 4}}, 'enc').versions).toEqual({a: 2})
  })

  it('a secret called __proto__ is an ordinary secret', async () => {
    const {doc, cipher} = await storeWith({['__proto__']: {K: 'v'}})
    const reparsed = parseStoreDocument(JSON.parse(JSON.stringify(doc)), 'enc')
    expect(readSecret(reparsed, cipher, '__proto__')).toEqual({K: 'v'})
    expect(Object.getPrototypeOf(reparsed.secrets)).toBe(Object.prototype)
  })

  it('an envelope moved to another secret, or altered, is corrupt, naming secret, key and backend', async () => {
    const {doc, cipher} = await storeWith({a: {K: CANARY_VALUE}, b: {K: 'other'}})
    const moved: StoreDocument = {...doc, secrets: {...doc.secrets, b: {K: doc.secrets.a!.K!}}}
    const err = await caught(() => readSecret(moved, cipher, 'b'))
    expect(err).toBeInstanceOf(CorruptValueError)
    expect(err.message).toBe('value of secret b key K on backend enc is corrupt or was altered (it does not authenticate)')
    expectNoCanary(errorText(err))
  })

  it.each([
    ['not an object', [], 'not a secretctl encrypted store (not a JSON object)'],
    ['another format', {format: 'x'}, 'format is not secretctl-encrypted-store'],
    ['a newer version', {version: 2}, 'store format version 2 is newer than this secretctl reads (1)'],
    ['no key check', {keyCheck: undefined}, 'keyCheck is missing'],
    ['secrets not an object', {secrets: 'x'}, 'secrets is not an object'],
    ['a secret not an object', {secrets: {a: 'x'}}, 'secrets.a is not an object'],
    ['an envelope not a string', {secrets: {a: {K: 1}}}, 'secrets.a.K is not a string'],
    ['a bad KDF', {kdf: {algorithm: 'argon2id', version: 19}}, 'kdf.timeCost'],
    ['versions not an object', {versions: 3}, 'versions is not an object'],
    ['a version not a positive integer', {versions: {a: 0}}, 'versions.a is not a positive integer'],
  ])('parsing a document with %s is a CorruptStoreError', async (_, change, text) => {
    const {doc} = await storeWith({})
    const value = Array.isArray(change) ? change : {...JSON.parse(JSON.stringify(doc)), ...change}
    const err = await caught(() => parseStoreDocument(value, 'enc', 'store file /s.json: '))
    expect(err).toBeInstanceOf(CorruptStoreError)
    expect(err.message).toContain(text)
    expect(err.message).toMatch(/^store file \/s\.json: .*\(backend enc\)$/)
  })
})

describe('rekey', () => {
  it('re-encrypts every envelope under a new password, salt and cost; the old document is untouched', async () => {
    const {doc, cipher: oldCipher} = await storeWith({github: {TOKEN: CANARY_VALUE, USER: 'octo'}, db: {URL: 'postgres://x'}})
    const before = JSON.stringify(doc)
    const cache = new DerivedKeyCache()
    const raised = {...FAST_ARGON2ID, timeCost: 2}
    const next = await createStoreHeader('enc', CANARY_NEW_PASSWORD, {params: raised, cache})
    const rekeyed = rekeyDocument(doc, oldCipher, next)

    expect(JSON.stringify(doc)).toBe(before)
    expect(rekeyed.kdf.salt).not.toBe(doc.kdf.salt)
    expect(rekeyed.kdf.timeCost).toBe(2)
    expect(rekeyed.keyCheck).not.toBe(doc.keyCheck)
    expect(rekeyed.versions).toEqual(doc.versions)
    for (const name of ['github', 'db']) {
      for (const key of Object.keys(doc.secrets[name]!)) expect(rekeyed.secrets[name]![key]).not.toBe(doc.secrets[name]![key])
    }

    const newCipher = await unlockStore(rekeyed, CANARY_NEW_PASSWORD, 'enc', new DerivedKeyCache())
    expect(readSecret(rekeyed, newCipher, 'github')).toEqual({TOKEN: CANARY_VALUE, USER: 'octo'})
    expect(readSecret(rekeyed, newCipher, 'db')).toEqual({URL: 'postgres://x'})
    await expect(unlockStore(rekeyed, CANARY_PASSWORD, 'enc', new DerivedKeyCache())).rejects.toBeInstanceOf(WrongPasswordError)
    // Not committed anywhere yet: the old document still opens with the old password.
    const stillOld = await unlockStore(doc, CANARY_PASSWORD, 'enc', new DerivedKeyCache())
    expect(readSecret(doc, stillOld, 'github')).toEqual({TOKEN: CANARY_VALUE, USER: 'octo'})
    expectNoCanary(JSON.stringify(rekeyed))
  })

  it('stops at an envelope that does not open, naming it, and returns nothing', async () => {
    const {doc, cipher} = await storeWith({a: {K: 'x'}, b: {K: CANARY_VALUE}})
    const broken: StoreDocument = {...doc, secrets: {...doc.secrets, b: {K: `${doc.secrets.b!.K!.slice(0, -8)}AAAAAAA=`}}}
    const next = await createStoreHeader('enc', CANARY_NEW_PASSWORD, {params: FAST_ARGON2ID, cache: new DerivedKeyCache()})
    const err = await caught(() => rekeyDocument(broken, cipher, next))
    expect(err).toBeInstanceOf(CorruptValueError)
    expect(err.message).toContain('value of secret b key K on backend enc is corrupt or was altered')
    expectNoCanary(errorText(err))
  })

  it('with the wrong old key it is a wrong password, not a store of corrupt values', async () => {
    const {doc} = await storeWith({a: {K: 'x'}})
    const other = await storeWith({}, 'another password')
    const next = await createStoreHeader('enc', CANARY_NEW_PASSWORD, {params: FAST_ARGON2ID, cache: new DerivedKeyCache()})
    expect(() => rekeyDocument(doc, other.cipher, next)).toThrow(WrongPasswordError)
  })

  it('reencryptEnvelopes works on the envelopes alone (the state-database variant keeps the header elsewhere)', async () => {
    const {doc, cipher} = await storeWith({a: {K: CANARY_VALUE}})
    const next = await createStoreHeader('enc', CANARY_NEW_PASSWORD, {params: FAST_ARGON2ID, cache: new DerivedKeyCache()})
    const envelopes = reencryptEnvelopes(doc.secrets, cipher, next.cipher)
    expect(next.cipher.openSecret('a', envelopes.a!)).toEqual({K: CANARY_VALUE})
  })
})
