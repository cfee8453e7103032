import {randomBytes} from 'node:crypto'
import {describe, expect, it} from 'vitest'
import {PasswordUnavailableError} from '../../../src/backends/encrypted/encrypted-errors.js'
import {type KeyringLoad, loadOsKeyring} from '../../../src/backends/encrypted/os-keyring.js'
import {
  canPrompt,
  defaultKeyringEntry,
  forgetPasswordInKeyring,
  type PasswordRequest,
  resolvePassword,
  storePasswordInKeyring,
} from '../../../src/backends/encrypted/password-source.js'
import {UsageError} from '../../../src/errors.js'
import {CANARY_NEW_PASSWORD, CANARY_PASSWORD, caught, errorText, expectNoCanary, fakeKeyring, withKeyring} from './helpers.js'

const noKeyring = (note: string) => async (): Promise<KeyringLoad> => ({ok: false, note})

function request(overrides: Partial<PasswordRequest> = {}): PasswordRequest {
  return {backend: 'enc', env: {}, keyring: withKeyring(fakeKeyring()), interactive: false, ...overrides}
}

describe('resolvePassword', () => {
  it('takes SECRETCTL_ENCRYPTION_PASSWORD first, without touching the keyring', async () => {
    const keyring = fakeKeyring({'secretctl/backend:enc': 'from keyring'}, undefined)
    let loaded = false
    const found = await resolvePassword(
      request({
        env: {SECRETCTL_ENCRYPTION_PASSWORD: CANARY_PASSWORD},
        keyring: async () => {
          loaded = true
          return {ok: true, keyring}
        },
      }),
    )
    expect(found).toEqual({password: CANARY_PASSWORD, source: 'env', notes: []})
    expect(loaded).toBe(false)
  })

  it('with passwordEnv, reads only the variable it names', async () => {
    const env = {SECRETCTL_ENCRYPTION_PASSWORD: 'generic', TEAM_VAULT_PW: CANARY_PASSWORD}
    expect((await resolvePassword(request({env, passwordEnv: 'TEAM_VAULT_PW'}))).password).toBe(CANARY_PASSWORD)
    const err = await caught(() =>
      resolvePassword(request({env: {SECRETCTL_ENCRYPTION_PASSWORD: 'generic'}, passwordEnv: 'TEAM_VAULT_PW'})),
    )
    expect(err).toBeInstanceOf(PasswordUnavailableError)
    expect(err.message).toContain('TEAM_VAULT_PW is not set')
    expect((err as PasswordUnavailableError).hint).toContain('set TEAM_VAULT_PW')
  })

  it('then the OS keyring entry secretctl/backend:<name>, noting the unset variable', async () => {
    const keyring = fakeKeyring({'secretctl/backend:enc': CANARY_PASSWORD})
    const found = await resolvePassword(request({keyring: withKeyring(keyring), env: {SECRETCTL_ENCRYPTION_PASSWORD: ''}}))
    expect(found).toEqual({password: CANARY_PASSWORD, source: 'keyring', notes: ['SECRETCTL_ENCRYPTION_PASSWORD is set but empty']})
    expect(defaultKeyringEntry('enc')).toEqual({service: 'secretctl', account: 'backend:enc'})
    const custom = fakeKeyring({'svc/acct': 'x'})
    expect((await resolvePassword(request({keyring: withKeyring(custom), keyringEntry: {service: 'svc', account: 'acct'}}))).password).toBe(
      'x',
    )
  })

  it('then a hidden prompt at a terminal, naming the backend; the notes say why the keyring was skipped', async () => {
    const questions: string[] = []
    const found = await resolvePassword(
      request({
        keyring: noKeyring('OS keyring: not available on this platform (no binding)'),
        interactive: true,
        prompt: async (q) => {
          questions.push(q)
          return CANARY_PASSWORD
        },
      }),
    )
    expect(found.source).toBe('prompt')
    expect(found.password).toBe(CANARY_PASSWORD)
    expect(questions).toEqual(['Password for encrypted backend enc: '])
    expect(found.notes).toEqual(['SECRETCTL_ENCRYPTION_PASSWORD is not set', 'OS keyring: not available on this platform (no binding)'])
  })

  it('a keyring that fails when asked is skipped with a note, never a crash', async () => {
    const found = await resolvePassword(
      request({
        keyring: withKeyring(fakeKeyring({}, 'Platform failure: DBus error: no session bus\nmore detail')),
        interactive: true,
        prompt: async () => 'typed',
      }),
    )
    expect(found.notes).toContain('OS keyring: skipped (Platform failure: DBus error: no session bus)')
    const throwing = await resolvePassword(
      request({
        keyring: async () => {
          throw new Error('loader exploded')
        },
        interactive: true,
        prompt: async () => 'typed',
      }),
    )
    expect(throwing.notes).toContain('OS keyring: not available (loader exploded)')
  })

  it('confirms a new password when asked, and refuses an empty or mismatched one', async () => {
    const answers = [CANARY_NEW_PASSWORD, CANARY_NEW_PASSWORD]
    const ok = await resolvePassword(request({interactive: true, confirm: true, prompt: async () => answers.shift()!}))
    expect(ok.password).toBe(CANARY_NEW_PASSWORD)

    const mismatch = ['a', 'b']
    const err = await caught(() => resolvePassword(request({interactive: true, confirm: true, prompt: async () => mismatch.shift()!})))
    expect(err).toBeInstanceOf(UsageError)
    expect(err.message).toBe('the two passwords typed for encrypted backend enc differ')

    const empty = await caught(() => resolvePassword(request({interactive: true, prompt: async () => ''})))
    expect(empty).toBeInstanceOf(UsageError)
    expect(empty.message).toBe('empty password for encrypted backend enc')
  })

  it('in CI or without a terminal: a clear error naming the backend, the three ways, and what was tried; no prompt', async () => {
    let prompted = false
    const err = await caught(() =>
      resolvePassword(
        request({
          interactive: false,
          keyring: noKeyring('OS keyring: not available on this platform (no binding)'),
          prompt: async () => {
            prompted = true
            return 'x'
          },
        }),
      ),
    )
    expect(prompted).toBe(false)
    expect(err).toBeInstanceOf(PasswordUnavailableError)
    expect(err.message).toBe(
      'no password for encrypted backend enc; SECRETCTL_ENCRYPTION_PASSWORD is not set; ' +
        'OS keyring: not available on this platform (no binding); not at a terminal (or CI), so no prompt',
    )
    expect((err as PasswordUnavailableError).hint).toBe(
      'give it one of three ways: set SECRETCTL_ENCRYPTION_PASSWORD; store it in the OS keyring; or run at a terminal to be asked for it',
    )
    expect((err as PasswordUnavailableError).backend).toBe('enc')
  })

  it('serves the ToolHive import too: its variable, its keyring entry, its own wording', async () => {
    const keyring = fakeKeyring({'toolhive/toolhive': CANARY_PASSWORD})
    const toolhive = {
      backend: 'default',
      subject: 'the ToolHive secrets file',
      passwordEnv: 'TOOLHIVE_SECRETS_PASSWORD',
      keyringEntry: {service: 'toolhive', account: 'toolhive'},
    }
    expect((await resolvePassword(request({...toolhive, keyring: withKeyring(keyring)}))).source).toBe('keyring')
    const err = await caught(() => resolvePassword(request({...toolhive, keyring: false})))
    expect(err.message).toBe(
      'no password for the ToolHive secrets file; TOOLHIVE_SECRETS_PASSWORD is not set; OS keyring: not used; not at a terminal (or CI), so no prompt',
    )
  })

  it('never prompts when CI is set, even at a terminal', () => {
    expect(canPrompt({CI: 'true'})).toBe(false)
    expect(canPrompt({CI: '1'})).toBe(false)
  })
})

describe('keyring storage', () => {
  it('stores, and forgets, a password under the backend entry', async () => {
    const keyring = fakeKeyring()
    expect(await storePasswordInKeyring({backend: 'enc', password: CANARY_PASSWORD, keyring: withKeyring(keyring)})).toEqual({stored: true})
    expect(keyring.entries).toEqual({'secretctl/backend:enc': CANARY_PASSWORD})
    expect(await forgetPasswordInKeyring({backend: 'enc', keyring: withKeyring(keyring)})).toEqual({removed: true})
    expect(keyring.entries).toEqual({})
  })

  it('no keyring, or one that refuses: not stored, with a note that holds no password', async () => {
    const refused = await storePasswordInKeyring({
      backend: 'enc',
      password: CANARY_PASSWORD,
      keyring: withKeyring(fakeKeyring({}, "Couldn't access platform storage: AccessDenied")),
    })
    expect(refused).toEqual({
      stored: false,
      note: "OS keyring: could not store secretctl/backend:enc (Couldn't access platform storage: AccessDenied)",
    })
    const none = await storePasswordInKeyring({backend: 'enc', password: CANARY_PASSWORD, keyring: false})
    expect(none).toEqual({stored: false, note: 'OS keyring: not used'})
    expectNoCanary(JSON.stringify([refused, none]))
  })
})

describe('OS keyring binding', () => {
  it('a platform without the native binding is a note, not a crash', async () => {
    const load = await loadOsKeyring(async () => {
      throw new Error('Cannot find native binding. npm has a bug related to optional dependencies')
    })
    expect(load).toEqual({
      ok: false,
      note: 'OS keyring: not available on this platform (Cannot find native binding. npm has a bug related to optional dependencies)',
    })
    expect(await loadOsKeyring(async () => ({}))).toEqual({ok: false, note: 'OS keyring: the binding has no AsyncEntry'})
  })

  it('a keyring that never answers (an unlock dialog nobody sees) is given up after the deadline', async () => {
    class HangingEntry {
      getPassword() {
        return new Promise<string | null>(() => {})
      }
      setPassword() {
        return new Promise<void>(() => {})
      }
      deletePassword() {
        return new Promise<boolean>(() => {})
      }
    }
    const load = await loadOsKeyring(async () => ({AsyncEntry: HangingEntry}), 20)
    const found = await resolvePassword(request({keyring: async () => load, interactive: true, prompt: async () => 'typed'}))
    expect(found.source).toBe('prompt')
    expect(found.notes).toContain('OS keyring: skipped (no answer within 0.02s)')
  })

  it('the real binding loads or is skipped on this machine, and an unknown entry never crashes the run', async () => {
    const load = await loadOsKeyring()
    const account = `test-${randomBytes(8).toString('hex')}`
    const err = await caught(() =>
      resolvePassword({backend: 'enc', env: {}, keyringEntry: {service: 'secretctl-test', account}, interactive: false}),
    )
    expect(err).toBeInstanceOf(PasswordUnavailableError)
    const notes = (err as PasswordUnavailableError).notes
    expect(notes[1]).toMatch(load.ok ? /^OS keyring: (no entry secretctl-test\/test-|skipped \()/ : /^OS keyring: not available/)
    expectNoCanary(errorText(err), [CANARY_PASSWORD])
  })
})
