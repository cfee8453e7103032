/**
 * Where the password of an encrypted backend comes from, in order:
 *   1. the environment: SECRETCTL_ENCRYPTION_PASSWORD, or the variable the backend's `passwordEnv:` names;
 *   2. the OS keyring, where one is available (absent or failing: skipped, with a note);
 *   3. a hidden prompt, when stdin and stderr are terminals and this is not CI (the caller
 *      injects the prompt function, so this module stays free of oclif and of terminal code).
 * None of them: PasswordUnavailableError naming the backend, the three ways, and what was tried.
 *
 * The result says which source answered and carries the notes (e.g. why the keyring was
 * skipped) for the caller to show; neither notes nor errors ever hold the password.
 */
import {UsageError} from '../../errors.js'
import {PasswordUnavailableError} from './encrypted-errors.js'
import {firstLine, type Keyring, type KeyringEntryName, type KeyringLoad, loadOsKeyring} from './os-keyring.js'

export const PASSWORD_ENV = 'SECRETCTL_ENCRYPTION_PASSWORD'
export const KEYRING_SERVICE = 'secretctl'

/** Asks the user, without echo, and resolves with what they typed. */
export type HiddenPrompt = (question: string) => Promise<string>

/** Where the keyring comes from: the OS one (default), a loader (tests), or none at all. */
export type KeyringSource = (() => Promise<KeyringLoad>) | false

export interface PasswordRequest {
  /** The backend's name: in the prompt, the notes, the errors and the default keyring entry. */
  backend: string
  /** The backend's `passwordEnv:`; when given, only that variable is read. */
  passwordEnv?: string
  /** The environment to read (default process.env). */
  env?: Record<string, string | undefined>
  keyring?: KeyringSource
  /** Default `{service: 'secretctl', account: 'backend:<name>'}`; a caller with a project id can add it to the account. */
  keyringEntry?: KeyringEntryName
  prompt?: HiddenPrompt
  /** May we prompt? Default: stdin and stderr are TTYs and CI is not set. */
  interactive?: boolean
  /** Prompt twice and require the same answer (a new password: setup, rekey). */
  confirm?: boolean
  /**
   * What the password opens, in the prompt and the messages; default `encrypted backend <name>`.
   * E.g. the ToolHive import: `{subject: 'the ToolHive secrets file', passwordEnv: 'TOOLHIVE_SECRETS_PASSWORD',
   * keyringEntry: {service: 'toolhive', account: 'toolhive'}}` (ToolHive's own entry, factory.go).
   */
  subject?: string
}

export type PasswordSourceKind = 'env' | 'keyring' | 'prompt'

export interface PasswordFound {
  password: string
  source: PasswordSourceKind
  /** Human notes on the sources skipped before this one (never the password). */
  notes: string[]
}

/** The keyring entry of a backend's password, unless the caller names another. */
export function defaultKeyringEntry(backend: string): KeyringEntryName {
  return {service: KEYRING_SERVICE, account: `backend:${backend}`}
}

/** True when a person can answer a prompt: stdin and stderr are terminals, and this is not CI. */
export function canPrompt(env: Record<string, string | undefined> = process.env): boolean {
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== '0' && env.CI.toLowerCase() !== 'false'
  return Boolean(process.stdin.isTTY && process.stderr.isTTY) && !ci
}

/** The password of an encrypted backend, from the first source that has one. */
export async function resolvePassword(req: PasswordRequest): Promise<PasswordFound> {
  const env = req.env ?? process.env
  const envName = req.passwordEnv ?? PASSWORD_ENV
  const subject = req.subject ?? `encrypted backend ${req.backend}`
  const notes: string[] = []

  const fromEnv = env[envName]
  if (fromEnv) return {password: fromEnv, source: 'env', notes}
  notes.push(fromEnv === '' ? `${envName} is set but empty` : `${envName} is not set`)

  const entry = req.keyringEntry ?? defaultKeyringEntry(req.backend)
  const keyring = await openKeyring(req.keyring, notes)
  if (keyring) {
    try {
      const stored = await keyring.get(entry)
      if (stored) return {password: stored, source: 'keyring', notes}
      notes.push(`OS keyring: no entry ${entry.service}/${entry.account}`)
    } catch (err) {
      notes.push(`OS keyring: skipped (${firstLine(err)})`)
    }
  }

  const interactive = req.interactive ?? canPrompt(env)
  if (!interactive || !req.prompt) {
    notes.push(interactive ? 'no prompt available' : 'not at a terminal (or CI), so no prompt')
    throw new PasswordUnavailableError(req.backend, envName, notes, subject)
  }
  const password = await req.prompt(`${req.confirm ? 'New password' : 'Password'} for ${subject}: `)
  if (!password) throw new UsageError(`empty password for ${subject}`, 'type the password, or set it another way')
  if (req.confirm) {
    const again = await req.prompt(`Repeat the password for ${subject}: `)
    if (again !== password) throw new UsageError(`the two passwords typed for ${subject} differ`, 'run the command again')
  }
  return {password, source: 'prompt', notes}
}

export interface StorePasswordRequest {
  backend: string
  password: string
  keyring?: KeyringSource
  keyringEntry?: KeyringEntryName
}

/**
 * Saves a backend's password in the OS keyring (after setup or `backend rekey`, once the password
 * has opened the store). No keyring, or one that refuses: stored false with a note, never a throw.
 */
export async function storePasswordInKeyring(req: StorePasswordRequest): Promise<{stored: true} | {stored: false; note: string}> {
  const notes: string[] = []
  const keyring = await openKeyring(req.keyring, notes)
  if (!keyring) return {stored: false, note: notes.join('; ')}
  const entry = req.keyringEntry ?? defaultKeyringEntry(req.backend)
  try {
    await keyring.set(entry, req.password)
    return {stored: true}
  } catch (err) {
    return {stored: false, note: `OS keyring: could not store ${entry.service}/${entry.account} (${firstLine(err)})`}
  }
}

/** Removes a backend's password from the OS keyring; false (with a note) when there is no keyring or it refuses. */
export async function forgetPasswordInKeyring(req: Omit<StorePasswordRequest, 'password'>): Promise<{removed: boolean; note?: string}> {
  const notes: string[] = []
  const keyring = await openKeyring(req.keyring, notes)
  if (!keyring) return {removed: false, note: notes.join('; ')}
  const entry = req.keyringEntry ?? defaultKeyringEntry(req.backend)
  try {
    return {removed: await keyring.delete(entry)}
  } catch (err) {
    return {removed: false, note: `OS keyring: could not remove ${entry.service}/${entry.account} (${firstLine(err)})`}
  }
}

async function openKeyring(source: KeyringSource | undefined, notes: string[]): Promise<Keyring | undefined> {
  if (source === false) {
    notes.push('OS keyring: not used')
    return undefined
  }
  let load: KeyringLoad
  try {
    load = await (source ?? (() => loadOsKeyring()))()
  } catch (err) {
    load = {ok: false, note: `OS keyring: not available (${firstLine(err)})`}
  }
  if (load.ok) return load.keyring
  notes.push(load.note)
  return undefined
}
