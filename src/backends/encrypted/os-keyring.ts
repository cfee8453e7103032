/**
 * The OS keyring (macOS Keychain, Windows Credential Manager, Secret Service or the kernel
 * keyring on Linux) through @napi-rs/keyring: maintained, prebuilt per platform as optional npm
 * dependencies. keytar, the older binding, is archived and downloads its binary at install time.
 *
 * The keyring is a convenience, never a requirement: the binding is imported lazily inside
 * try/catch (a platform without a prebuilt binary, or a broken one, becomes a note), every call
 * has a deadline (a Secret Service waiting for an unlock dialog nobody sees must not hang a
 * run), and every failure is a note for the caller, never a crash. Notes carry the binding's
 * first error line, which names the failure and never the password.
 */

/** Where a password lives in the keyring. */
export interface KeyringEntryName {
  service: string
  account: string
}

/** The three calls the encrypted backend needs; a fake in tests. */
export interface Keyring {
  /** The stored password, or null when there is no such entry. */
  get(entry: KeyringEntryName): Promise<string | null>
  set(entry: KeyringEntryName, password: string): Promise<void>
  /** True when an entry was removed, false when there was none. */
  delete(entry: KeyringEntryName): Promise<boolean>
}

export type KeyringLoad = {ok: true; keyring: Keyring} | {ok: false; note: string}

/** The binding's surface used here (a subset of @napi-rs/keyring's AsyncEntry). */
interface AsyncEntryLike {
  getPassword(signal?: AbortSignal | null): Promise<string | null>
  setPassword(password: string, signal?: AbortSignal | null): Promise<void>
  deletePassword(signal?: AbortSignal | null): Promise<boolean>
}
interface BindingModule {
  AsyncEntry: new (service: string, username: string) => AsyncEntryLike
}

export const KEYRING_TIMEOUT_MS = 10_000

/** Imports the native binding; replaced in tests. */
export type BindingImporter = () => Promise<unknown>
const importBinding: BindingImporter = () => import('@napi-rs/keyring')

let loaded: Promise<KeyringLoad> | undefined

/**
 * The OS keyring, loaded once per process. `importer` and `timeoutMs` are for tests; a custom
 * importer is not memoised.
 */
export function loadOsKeyring(importer?: BindingImporter, timeoutMs = KEYRING_TIMEOUT_MS): Promise<KeyringLoad> {
  if (importer) return loadBinding(importer, timeoutMs)
  loaded ??= loadBinding(importBinding, timeoutMs)
  return loaded
}

async function loadBinding(importer: BindingImporter, timeoutMs: number): Promise<KeyringLoad> {
  let mod: unknown
  try {
    mod = await importer()
  } catch (err) {
    return {ok: false, note: `OS keyring: not available on this platform (${firstLine(err)})`}
  }
  const AsyncEntry = (mod as Partial<BindingModule> | null)?.AsyncEntry
  if (typeof AsyncEntry !== 'function') return {ok: false, note: 'OS keyring: the binding has no AsyncEntry'}
  const entry = (name: KeyringEntryName) => new AsyncEntry(name.service, name.account)
  return {
    ok: true,
    keyring: {
      get: (name) => withDeadline(timeoutMs, (signal) => entry(name).getPassword(signal)),
      set: (name, password) => withDeadline(timeoutMs, (signal) => entry(name).setPassword(password, signal)),
      delete: (name) => withDeadline(timeoutMs, (signal) => entry(name).deletePassword(signal)),
    },
  }
}

/** Runs a keyring call with an abort signal and a deadline; a call that ignores the signal still loses the race. */
async function withDeadline<T>(ms: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort()
      reject(new Error(`no answer within ${ms / 1000}s`))
    }, ms)
    timer.unref()
  })
  try {
    return await Promise.race([call(controller.signal), deadline])
  } finally {
    clearTimeout(timer)
  }
}

/** An error's first line, bounded: enough to say what failed, too little to carry anything else. */
export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  const line = text.split('\n', 1)[0]!.trim()
  return line.length > 160 ? `${line.slice(0, 157)}...` : line || 'unknown error'
}
