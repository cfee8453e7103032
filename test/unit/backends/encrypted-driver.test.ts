import {mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import type {BackendDriver, DriverContext} from '../../../src/backends/driver.js'
import {
  createEncryptedDriverWith,
  EncryptedStateDriver,
  type EncryptedDriverOptions,
} from '../../../src/backends/encrypted/encrypted-driver.js'
import {
  CorruptStoreError,
  CorruptValueError,
  PasswordUnavailableError,
  WrongPasswordError,
} from '../../../src/backends/encrypted/encrypted-errors.js'
import {EncryptedFileDriver} from '../../../src/backends/encrypted/encrypted-file-driver.js'
import {rekeyEncryptedBackend} from '../../../src/backends/encrypted/encrypted-rekey.js'
import {DerivedKeyCache} from '../../../src/backends/encrypted/key-derivation.js'
import {createDriver} from '../../../src/backends/registry.js'
import {BackendError, StateError, UsageError} from '../../../src/errors.js'
import type {KindStateStore} from '../../../src/state/kind-state-store.js'
import type {StateStore} from '../../../src/state/types.js'
import {stateFactories} from '../../support/state-factories.js'
import {
  CANARY_NEW_PASSWORD,
  CANARY_PASSWORD,
  CANARY_VALUE,
  caught,
  errorText,
  expectNoCanary,
  FAST_ARGON2ID,
  fakeKeyring,
  withKeyring,
} from '../encrypted/helpers.js'

const factory = stateFactories()[0]!
const ENV = {SECRETCTL_ENCRYPTION_PASSWORD: CANARY_PASSWORD}
/** No OS keyring, no prompt: only what a test gives. */
const QUIET: EncryptedDriverOptions = {keyring: false, interactive: false}

let state: StateStore & KindStateStore
let dir: string

async function declare(name: string, config: Record<string, unknown> = {}): Promise<void> {
  await state.upsertBackend({name, type: 'encrypted', description: null, config: {kdf: FAST_ARGON2ID, ...config}, rotation: null})
}

async function context(backend: string, overrides: Partial<DriverContext> = {}): Promise<DriverContext> {
  return {
    backend: (await state.getBackend(backend))!,
    state,
    concurrency: 4,
    env: ENV,
    dir,
    readTrustRoot: async () => {
      throw new Error('not used')
    },
    ...overrides,
  }
}

async function driver(
  backend: string,
  overrides: Partial<DriverContext> = {},
  opts: EncryptedDriverOptions = QUIET,
): Promise<BackendDriver> {
  return createEncryptedDriverWith(await context(backend, overrides), {cache: new DerivedKeyCache(), ...opts})
}

/** What apply does around a write to a kind that stores in the state: the row takes the returned data. */
async function place(d: BackendDriver, name: string, values: Record<string, string>): Promise<void> {
  const w = await d.write(name, values)
  await state.putSecret({name, backend: d.name, externalRef: w.externalRef, rowData: w.rowData, keys: {}, backendVersion: w.version})
}

async function rawRow(name: string): Promise<string> {
  return JSON.stringify(await state.readRowData(name))
}

beforeEach(async () => {
  state = (await factory.create()) as StateStore & KindStateStore
  dir = mkdtempSync(path.join(tmpdir(), 'secretctl-encdrv-'))
  await declare('enc')
})
afterEach(async () => {
  await factory.cleanup()
  rmSync(dir, {recursive: true, force: true})
})

describe('encrypted backend in the state database', () => {
  it('is built by the registry, stores in the state and is not versioned', async () => {
    const d = await createDriver(await context('enc'))
    expect(d).toBeInstanceOf(EncryptedStateDriver)
    expect(d.type).toBe('encrypted')
    expect(d.capabilities).toEqual({readOnly: false, versioned: false, storesInState: true, rotatableToken: false, listable: true})
  })

  it('writes envelopes into the row (never the value), claims the header, and reads the value back', async () => {
    const cache = new DerivedKeyCache()
    const d = await driver('enc', {}, {...QUIET, cache})
    const w = await d.write('github', {TOKEN: CANARY_VALUE, USER: 'octo'})
    expect(w.externalRef).toBeNull()
    expect(w.version).toBeNull()
    expect(Object.keys(w.rowData!)).toEqual(['TOKEN', 'USER'])
    expect(w.rowData!.TOKEN).toMatch(/^v1:/)
    expectNoCanary(JSON.stringify(w))
    await state.putSecret({name: 'github', backend: 'enc', externalRef: null, rowData: w.rowData, keys: {}, backendVersion: null})
    for (let i = 0; i < 20; i++) await place(d, `s${i}`, {K: `v${i}`})

    expect(await d.read('github')).toEqual({TOKEN: CANARY_VALUE, USER: 'octo'})
    expect(await d.read('s7')).toEqual({K: 'v7'})
    expect(await d.read('missing')).toBeUndefined()
    expect(await d.list()).toContain('github')
    expect(await d.metadata('github')).toEqual({exists: true, version: null})
    // The header is in the backend's kind state; Argon2id ran once for 21 writes and 2 reads.
    const header = (await state.readKindState('enc')) as {kdf: {timeCost: number}; keyCheck: string}
    expect(header.kdf.timeCost).toBe(1)
    expect(cache.derivations).toBe(1)
    expectNoCanary(JSON.stringify(header) + (await rawRow('github')))

    // Another run (a new driver, a new cache) opens the same store with the same password.
    const other = await driver('enc')
    expect(await other.read('github')).toEqual({TOKEN: CANARY_VALUE, USER: 'octo'})
  })

  it('a wrong password is an error naming the backend and where the password came from; never missing', async () => {
    await place(await driver('enc'), 'github', {TOKEN: CANARY_VALUE})
    const d = await driver('enc', {env: {SECRETCTL_ENCRYPTION_PASSWORD: 'wrong'}})
    for (const call of [() => d.read('github'), () => d.health(), () => d.write('x', {K: 'v'})]) {
      const err = await caught(call)
      expect(err).toBeInstanceOf(WrongPasswordError)
      expect(err.message).toBe('wrong password for backend enc')
      expect((err as WrongPasswordError).hint).toContain('SECRETCTL_ENCRYPTION_PASSWORD')
      expectNoCanary(errorText(err))
    }
  })

  it('passwordEnv names the variable read instead', async () => {
    await declare('team', {passwordEnv: 'TEAM_PASSWORD'})
    const d = await driver('team', {env: {TEAM_PASSWORD: CANARY_PASSWORD, SECRETCTL_ENCRYPTION_PASSWORD: 'not this'}})
    await place(d, 'a', {K: 'v'})
    expect(await (await driver('team', {env: {TEAM_PASSWORD: CANARY_PASSWORD}})).read('a')).toEqual({K: 'v'})
    const err = await caught(async () => (await driver('team', {env: {TEAM_PASSWORD: 'no'}})).read('a'))
    expect((err as WrongPasswordError).hint).toContain('TEAM_PASSWORD')
  })

  it('an altered envelope, or one copied from another secret, is a corrupt value naming secret, key and backend', async () => {
    const d = await driver('enc')
    await place(d, 'a', {K: CANARY_VALUE})
    await place(d, 'b', {K: 'other'})
    const a = (await state.readRowData('a'))!
    await state.putSecret({name: 'b', backend: 'enc', externalRef: null, rowData: {K: a.K!}, keys: {}, backendVersion: null})
    const moved = await caught(() => d.read('b'))
    expect(moved).toBeInstanceOf(CorruptValueError)
    expect(moved.message).toBe('value of secret b key K on backend enc is corrupt or was altered (it does not authenticate)')
    const flipped = a.K!.slice(0, -6) + (a.K!.at(-6) === 'A' ? 'B' : 'A') + a.K!.slice(-5)
    await state.putSecret({name: 'a', backend: 'enc', externalRef: null, rowData: {K: flipped}, keys: {}, backendVersion: null})
    expect(await caught(() => d.read('a'))).toBeInstanceOf(CorruptValueError)
    expectNoCanary(errorText(moved))
  })

  it('no password anywhere, not at a terminal: an error naming the backend and the three ways', async () => {
    const d = await driver('enc', {env: {}})
    const err = await caught(() => d.write('a', {K: 'v'}))
    expect(err).toBeInstanceOf(PasswordUnavailableError)
    expect(err.message).toContain('no password for encrypted backend enc')
    expect((err as PasswordUnavailableError).hint).toContain(
      'set SECRETCTL_ENCRYPTION_PASSWORD; store it in the OS keyring; or run at a terminal',
    )
    expect(await state.readKindState('enc')).toBeNull()
  })

  it('takes the password from the keyring, and from a prompt (asked twice for a new store, again after a typo)', async () => {
    const keyring = fakeKeyring({'secretctl/backend:enc': CANARY_PASSWORD})
    await place(await driver('enc', {env: {}}, {keyring: withKeyring(keyring), interactive: false}), 'a', {K: 'v'})

    const questions: string[] = []
    const answers = ['typo', CANARY_PASSWORD]
    const prompt = async (q: string) => {
      questions.push(q)
      return answers.shift()!
    }
    const d = await driver('enc', {env: {}, prompt}, {keyring: false, interactive: true})
    expect(await d.read('a')).toEqual({K: 'v'})
    expect(questions).toEqual([
      'Password for encrypted backend enc: ',
      'That password does not open it; try again. Password for encrypted backend enc: ',
    ])

    let typed = 0
    const typo = await driver('enc', {env: {}, prompt: async () => `typo${++typed}`}, {keyring: false, interactive: true})
    const err = await caught(() => typo.read('a'))
    expect(err).toBeInstanceOf(WrongPasswordError)
    expect((err as WrongPasswordError).hint).toBe('3 passwords typed, none opens it')
    expect(typed).toBe(3)

    await declare('fresh')
    const asked: string[] = []
    const fresh = await driver(
      'fresh',
      {
        env: {},
        prompt: async (q) => {
          asked.push(q)
          return CANARY_NEW_PASSWORD
        },
      },
      {keyring: false, interactive: true},
    )
    await place(fresh, 'a', {K: 'v'})
    expect(asked).toEqual(['New password for encrypted backend fresh: ', 'Repeat the password for encrypted backend fresh: '])
  })

  it('values without a header are a damaged state, not an empty store', async () => {
    await state.putSecret({name: 'a', backend: 'enc', externalRef: null, rowData: {K: 'v1:AAAA'}, keys: {}, backendVersion: null})
    const err = await caught(async () => (await driver('enc')).read('a'))
    expect(err).toBeInstanceOf(CorruptStoreError)
    expect(err.message).toContain('the store header (backends.kind_state) is missing')
  })

  it('concurrent first writes of one run make one store and derive one key', async () => {
    const cache = new DerivedKeyCache()
    const d = await driver('enc', {}, {...QUIET, cache})
    const written = await Promise.all(Array.from({length: 20}, (_, i) => d.write(`s${i}`, {K: `v${i}`})))
    expect(cache.derivations).toBe(1)
    await state.putSecret({name: 's7', backend: 'enc', externalRef: null, rowData: written[7]!.rowData, keys: {}, backendVersion: null})
    expect(await (await driver('enc')).read('s7')).toEqual({K: 'v7'})
  })

  it('two runs creating the store at once agree on one header', async () => {
    const [one, two] = [await driver('enc'), await driver('enc')]
    const [w1, w2] = await Promise.all([one.write('a', {K: '1'}), two.write('b', {K: '2'})])
    await state.putSecret({name: 'a', backend: 'enc', externalRef: null, rowData: w1.rowData, keys: {}, backendVersion: null})
    await state.putSecret({name: 'b', backend: 'enc', externalRef: null, rowData: w2.rowData, keys: {}, backendVersion: null})
    const reader = await driver('enc')
    expect(await reader.read('a')).toEqual({K: '1'})
    expect(await reader.read('b')).toEqual({K: '2'})
  })

  it('reads a copy retained here by a keepSource move, still encrypted in the copy', async () => {
    await state.upsertBackend({name: 'other', type: 'plaintext', description: null, config: {}, rotation: null})
    const d = await driver('enc')
    await place(d, 'a', {K: CANARY_VALUE})
    const stored = await state.readRowData('a')
    await state.putSecret({
      name: 'a',
      backend: 'other',
      externalRef: null,
      rowData: {K: CANARY_VALUE},
      keys: {},
      backendVersion: null,
      retainOn: {backend: 'enc', externalRef: null, rowData: stored},
    })
    expect(await d.read('a')).toEqual({K: CANARY_VALUE})
  })

  it('the trust-root reader never takes a token from an encrypted row', async () => {
    const {DriverPool} = await import('../../../src/backends/driver-pool.js')
    await place(await driver('enc'), 'bao-creds', {token: CANARY_VALUE})
    const pool = new DriverPool(state, 1)
    const readTrustRoot = (
      pool as unknown as {readTrustRoot(b: {name: string; type: string}, r: {name: string; key: string}): Promise<string>}
    ).readTrustRoot.bind(pool)
    const err = await caught(() => readTrustRoot({name: 'bao', type: 'openbao'}, {name: 'bao-creds', key: 'token'}))
    expect(err.message).toContain('is not in the state, or not on a plaintext backend')
  })
})

describe('backend rekey, state database', () => {
  const rekey = (newPassword: string, env: Record<string, string> = ENV, opts: EncryptedDriverOptions = QUIET) =>
    state
      .getBackend('enc')
      .then((backend) =>
        rekeyEncryptedBackend(
          {backend: backend!, state, env, dir, newPassword: async () => newPassword},
          {cache: new DerivedKeyCache(), ...opts},
        ),
      )

  it('re-encrypts every row and retained copy under a new salt in one transaction; the old password stops working', async () => {
    await state.upsertBackend({name: 'other', type: 'plaintext', description: null, config: {}, rotation: null})
    const d = await driver('enc')
    await place(d, 'a', {K: CANARY_VALUE, L: 'two'})
    await place(d, 'kept', {K: 'kept'})
    const copy = await state.readRowData('kept')
    await state.putSecret({
      name: 'kept',
      backend: 'other',
      externalRef: null,
      rowData: {K: 'kept'},
      keys: {},
      backendVersion: null,
      retainOn: {backend: 'enc', externalRef: null, rowData: copy},
    })
    const before = (await state.readKindState('enc')) as {kdf: {salt: string}}
    const rowBefore = await rawRow('a')

    const outcome = await rekey(CANARY_NEW_PASSWORD)
    expect(outcome.values).toBe(3)
    expect(outcome.detail).toBe('3 values of 2 secrets encrypted under a new key (new salt; Argon2id t=1 m=1024 KiB p=1)')
    expect(outcome.notes[0]).toContain('set it to the new password')
    const after = (await state.readKindState('enc')) as {kdf: {salt: string}}
    expect(after.kdf.salt).not.toBe(before.kdf.salt)
    expect(await rawRow('a')).not.toBe(rowBefore)

    const withNew = await driver('enc', {env: {SECRETCTL_ENCRYPTION_PASSWORD: CANARY_NEW_PASSWORD}})
    expect(await withNew.read('a')).toEqual({K: CANARY_VALUE, L: 'two'})
    expect(await withNew.read('kept')).toEqual({K: 'kept'})
    expect(await caught(async () => (await driver('enc')).read('a'))).toBeInstanceOf(WrongPasswordError)
    expectNoCanary(JSON.stringify(outcome))
  })

  it('a wrong old password changes nothing and never asks for the new one', async () => {
    await place(await driver('enc'), 'a', {K: 'v'})
    const before = JSON.stringify(await state.readKindState('enc')) + (await rawRow('a'))
    let asked = false
    const backend = (await state.getBackend('enc'))!
    const err = await caught(() =>
      rekeyEncryptedBackend(
        {
          backend,
          state,
          env: {SECRETCTL_ENCRYPTION_PASSWORD: 'wrong'},
          newPassword: async () => {
            asked = true
            return 'x'
          },
        },
        QUIET,
      ),
    )
    expect(err).toBeInstanceOf(WrongPasswordError)
    expect(asked).toBe(false)
    expect(JSON.stringify(await state.readKindState('enc')) + (await rawRow('a'))).toBe(before)
  })

  it('a store with no value yet has no key to change', async () => {
    expect(await caught(() => rekey('x'))).toBeInstanceOf(UsageError)
  })

  it('a header changed by someone else meanwhile aborts the transaction, changing nothing', async () => {
    await place(await driver('enc'), 'a', {K: 'v'})
    const backend = (await state.getBackend('enc'))!
    const before = await rawRow('a')
    const err = await caught(() =>
      rekeyEncryptedBackend(
        {
          backend,
          state,
          env: ENV,
          newPassword: async () => {
            // Another rekey commits while this one waits for its new password.
            await rekey('someone else')
            return CANARY_NEW_PASSWORD
          },
        },
        QUIET,
      ),
    )
    expect(err).toBeInstanceOf(StateError)
    expect(err.message).toContain('changed while it was being rekeyed')
    expect(await rawRow('a')).not.toBe(before) // the other rekey's
    expect(await (await driver('enc', {env: {SECRETCTL_ENCRYPTION_PASSWORD: 'someone else'}})).read('a')).toEqual({K: 'v'})
  })

  it('puts the new password in the keyring when the old one came from there', async () => {
    const keyring = fakeKeyring({'secretctl/backend:enc': CANARY_PASSWORD})
    const opts = {keyring: withKeyring(keyring), interactive: false}
    await place(await driver('enc', {env: {}}, opts), 'a', {K: 'v'})
    const outcome = await rekey(CANARY_NEW_PASSWORD, {}, opts)
    expect(keyring.entries['secretctl/backend:enc']).toBe(CANARY_NEW_PASSWORD)
    expect(outcome.notes).toEqual(['the OS keyring entry secretctl/backend:enc now holds the new password'])
    expect(await (await driver('enc', {env: {}}, opts)).read('a')).toEqual({K: 'v'})

    const failing = fakeKeyring({'secretctl/backend:enc': CANARY_NEW_PASSWORD})
    const refusing = {keyring: withKeyring({...failing, set: async () => Promise.reject(new Error('locked'))}), interactive: false}
    const warned = await rekey('third', {}, refusing)
    expect(warned.notes[0]).toMatch(/^WARNING: the OS keyring entry secretctl\/backend:enc still holds the OLD password/)
  })
})

describe('encrypted backend in a file', () => {
  beforeEach(async () => {
    await declare('vault', {path: 'store/secrets.enc.json'})
  })
  const file = () => path.join(dir, 'store/secrets.enc.json')

  it('is versioned and keeps values out of the state; the file is 0600, relative to the manifests directory', async () => {
    const d = await driver('vault')
    expect(d).toBeInstanceOf(EncryptedFileDriver)
    expect(d.capabilities).toEqual({readOnly: false, versioned: true, storesInState: false, rotatableToken: false, listable: true})
    const w = await d.write('github', {TOKEN: CANARY_VALUE}, {ifVersion: null})
    expect(w).toEqual({externalRef: 'store/secrets.enc.json#github', version: '1', rowData: null})
    expect(statSync(file()).mode & 0o777).toBe(0o600)
    expectNoCanary(readFileSync(file(), 'utf8'))
    expect(await d.read('github')).toEqual({TOKEN: CANARY_VALUE})
    expect(await d.metadata('github')).toEqual({exists: true, version: '1'})
    expect(await d.metadata('nope')).toEqual({exists: false, version: null})
    expect((await d.write('github', {TOKEN: 'new'}, {ifVersion: '1'})).version).toBe('2')
    expect(await d.list()).toEqual(['github'])
    // Metadata needs no password: the counters are in the clear.
    expect(await (await driver('vault', {env: {}})).metadata('github')).toEqual({exists: true, version: '2'})
  })

  it('a check-and-set write at the wrong version fails alone, marked casMismatch', async () => {
    const d = await driver('vault')
    await d.write('a', {K: '1'})
    const [bad, good] = await Promise.allSettled([d.write('a', {K: 'x'}, {ifVersion: null}), d.write('b', {K: '2'}, {ifVersion: null})])
    expect(bad.status).toBe('rejected')
    expect(((bad as PromiseRejectedResult).reason as BackendError).casMismatch).toBe(true)
    expect(good.status).toBe('fulfilled')
    expect(await d.read('a')).toEqual({K: '1'})
  })

  it('groups concurrent writes into few file replaces, each caller settling after its own', async () => {
    const cache = new DerivedKeyCache()
    const d = await driver('vault', {}, {...QUIET, cache})
    const results = await Promise.all(Array.from({length: 200}, (_, i) => d.write(`s${i}`, {K: `v${i}`}, {ifVersion: null})))
    expect(results.every((r) => r.version === '1')).toBe(true)
    const reader = await driver('vault')
    expect(await reader.read('s123')).toEqual({K: 'v123'})
    expect((await reader.list()).length).toBe(200)
    expect(cache.derivations).toBe(1)
    await Promise.all([d.delete('s1'), d.delete('s2'), d.delete('missing')])
    expect(await reader.metadata('s1')).toEqual({exists: false, version: null})
  })

  it('a missing file is an error once the state places secrets on it, never an empty store', async () => {
    const d = await driver('vault')
    const w = await d.write('a', {K: 'v'})
    await state.putSecret({name: 'a', backend: 'vault', externalRef: w.externalRef, rowData: null, keys: {}, backendVersion: w.version})
    rmSync(file())
    const fresh = await driver('vault')
    for (const call of [() => fresh.read('a'), () => fresh.metadata('a'), () => fresh.list()]) {
      const err = await caught(call)
      expect(err).toBeInstanceOf(BackendError)
      expect(err.message).toContain('does not exist')
    }
    const write = await caught(() => fresh.write('b', {K: 'v'}))
    expect(write.message).toContain('but the state places 1 secret on it')
    await fresh.delete('a') // nothing to delete
  })

  it('a truncated or tampered file is an error naming the backend, on read and on metadata', async () => {
    const d = await driver('vault')
    await d.write('a', {K: CANARY_VALUE})
    const text = readFileSync(file(), 'utf8')
    writeFileSync(file(), text.slice(0, Math.floor(text.length / 2)))
    const fresh = await driver('vault')
    for (const call of [() => fresh.read('a'), () => fresh.metadata('a')]) {
      const err = await caught(call)
      expect(err).toBeInstanceOf(CorruptStoreError)
      expect(err.message).toContain('(backend vault)')
    }
    const doc = JSON.parse(text)
    const env = doc.secrets.a.K as string
    doc.secrets.a.K = env.slice(0, 10) + (env[10] === 'A' ? 'B' : 'A') + env.slice(11)
    writeFileSync(file(), JSON.stringify(doc))
    const err = await caught(async () => (await driver('vault')).read('a'))
    expect(err).toBeInstanceOf(CorruptValueError)
    expectNoCanary(errorText(err))
  })

  it('rekey replaces the file at once: the new password opens it, the old does not; versions stay', async () => {
    const d = await driver('vault')
    await d.write('a', {K: CANARY_VALUE})
    await d.write('a', {K: CANARY_VALUE})
    const backend = (await state.getBackend('vault'))!
    const outcome = await rekeyEncryptedBackend(
      {backend, state, env: ENV, dir, newPassword: async () => CANARY_NEW_PASSWORD},
      {...QUIET, cache: new DerivedKeyCache()},
    )
    expect(outcome.values).toBe(1)
    const withNew = await driver('vault', {env: {SECRETCTL_ENCRYPTION_PASSWORD: CANARY_NEW_PASSWORD}})
    expect(await withNew.read('a')).toEqual({K: CANARY_VALUE})
    expect(await withNew.metadata('a')).toEqual({exists: true, version: '2'})
    expect(await caught(async () => (await driver('vault')).read('a'))).toBeInstanceOf(WrongPasswordError)
    expect(statSync(file()).mode & 0o777).toBe(0o600)
  })
})
