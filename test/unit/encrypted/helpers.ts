/** Shared by the encrypted backend's unit tests: a cheap Argon2id cost, canaries, and a message collector. */
import {expect} from 'vitest'
import type {Argon2idParams} from '../../../src/backends/encrypted/key-derivation.js'
import type {Keyring, KeyringEntryName, KeyringLoad} from '../../../src/backends/encrypted/os-keyring.js'
import {SecretctlError} from '../../../src/errors.js'

/** Far below any real setting: only so the tests do not pay 64 MiB per derivation. */
export const FAST_ARGON2ID: Argon2idParams = {timeCost: 1, memoryKiB: 1024, parallelism: 1}

/** Values and passwords that must never appear in a message, a note or a file in plaintext. */
export const CANARY_VALUE = 'CANARY-value-5d1e8b7f'
export const CANARY_PASSWORD = 'CANARY-password-a93c02'
export const CANARY_NEW_PASSWORD = 'CANARY-new-password-77e1f4'

/** Everything a user could read of an error: message, hint, stack, and its JSON and printed forms. */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const hint = err instanceof SecretctlError ? (err.hint ?? '') : ''
  return [err.message, hint, err.stack ?? '', JSON.stringify(err), String(err)].join('\n')
}

/** Runs fn, expects it to throw, returns the error. */
export async function caught(fn: () => unknown): Promise<Error> {
  try {
    await fn()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected an error, none was thrown')
}

export function expectNoCanary(text: string, canaries: string[] = [CANARY_VALUE, CANARY_PASSWORD, CANARY_NEW_PASSWORD]): void {
  for (const canary of canaries) expect(text).not.toContain(canary)
}

/** An in-memory keyring; `fail` makes every call reject the way a locked or absent store does. */
export function fakeKeyring(entries: Record<string, string> = {}, fail?: string): Keyring & {entries: Record<string, string>} {
  const id = (e: KeyringEntryName) => `${e.service}/${e.account}`
  const check = () => {
    if (fail) throw new Error(fail)
  }
  return {
    entries,
    async get(e) {
      check()
      return entries[id(e)] ?? null
    },
    async set(e, password) {
      check()
      entries[id(e)] = password
    },
    async delete(e) {
      check()
      const had = id(e) in entries
      delete entries[id(e)]
      return had
    },
  }
}

export const withKeyring = (keyring: Keyring) => async (): Promise<KeyringLoad> => ({ok: true, keyring})
