/**
 * `secretctl backend rekey NAME` for the encrypted kind: the current password opens the store,
 * then a new password, a new salt and the configured Argon2id cost make a new key, and every
 * value is encrypted again (rekey.ts) and committed in one step: one state-database transaction
 * (header and every row and retained copy), or one atomic replace of the store file. Killed at
 * any point before that step, the store is as it was and the old password opens it; after it, only
 * the new one does.
 *
 * The new password replaces the keyring entry when the old one came from there: otherwise the
 * next run would find the old password there and fail. An environment variable cannot be changed
 * from here: the outcome says to change it.
 */
import {StateError, UsageError} from '../../errors.js'
import {hasKindState} from '../../state/kind-state-store.js'
import type {BackendRekey, RekeyOutcome, RekeyRequest} from '../kind.js'
import {type EncryptedConfig, encryptedConfig} from './encrypted-config.js'
import type {EncryptedDriverOptions} from './encrypted-driver.js'
import {readStoreFile, stageStoreFile} from './file-store.js'
import type {Argon2idParams} from './key-derivation.js'
import {PASSWORD_ENV, type PasswordFound, storePasswordInKeyring} from './password-source.js'
import {reencryptEnvelopes, rekeyDocument} from './rekey.js'
import {createStoreHeader, parseStoreHeader, type StoreHeader} from './store-document.js'
import {StoreUnlocker} from './store-unlocker.js'
import type {ValueCipher} from './value-cipher.js'

export const encryptedRekey: BackendRekey = {rekey: (req) => rekeyEncryptedBackend(req)}

/** The rekey, with what tests replace (the keyring, prompting). */
export async function rekeyEncryptedBackend(req: RekeyRequest, opts: EncryptedDriverOptions = {}): Promise<RekeyOutcome> {
  const name = req.backend.name
  const config = encryptedConfig(req.backend.config, name, req.dir)
  const unlocker = new StoreUnlocker(name, config, {env: req.env, prompt: req.prompt, ...opts})
  const newKey = async (old: ValueCipher) => {
    const password = await req.newPassword()
    if (!password) throw new UsageError(`empty new password for encrypted backend ${name}`, 'give a password of at least one character')
    return {password, ...(await createStoreHeader(name, password, {params: config.kdf, cache: opts.cache})), old}
  }
  const outcome = config.file ? await rekeyFile(req, config, unlocker, newKey) : await rekeyState(req, unlocker, newKey)
  const notes = await passwordNotes(name, config, await unlocker.password(), outcome.password, opts)
  return {values: outcome.values, detail: describe(outcome.values, outcome.secrets, config.kdf), notes}
}

type NewKey = (old: ValueCipher) => Promise<{password: string; header: StoreHeader; cipher: ValueCipher; old: ValueCipher}>

interface Rekeyed {
  values: number
  secrets: number
  password: string
}

async function rekeyState(req: RekeyRequest, unlocker: StoreUnlocker, newKey: NewKey): Promise<Rekeyed> {
  const name = req.backend.name
  const state = req.state
  if (!hasKindState(state)) throw new StateError(`backend ${name}: this state store cannot keep an encrypted store`)
  const stored = await state.readKindState(name)
  if (!stored) throw noKeyYet(name)
  const header = parseStoreHeader(stored, name, 'the store header in the state: ')
  const next = await newKey(await unlocker.unlock(header))
  let values = 0
  let secrets = 0
  await state.rewriteBackendData(name, (current) => {
    if ((current.kindState as {keyCheck?: unknown} | null)?.keyCheck !== header.keyCheck) {
      throw new StateError(
        `the key of encrypted backend ${name} changed while it was being rekeyed; nothing was changed`,
        'run the rekey again',
      )
    }
    const rows = reencryptEnvelopes(current.rows, next.old, next.cipher)
    const retained = reencryptEnvelopes(current.retained, next.old, next.cipher)
    for (const map of [rows, retained]) {
      secrets += Object.keys(map).length
      for (const envelopes of Object.values(map)) values += Object.keys(envelopes).length
    }
    return {kindState: {...next.header}, rows, retained}
  })
  return {values, secrets, password: next.password}
}

async function rekeyFile(req: RekeyRequest, config: EncryptedConfig, unlocker: StoreUnlocker, newKey: NewKey): Promise<Rekeyed> {
  const name = req.backend.name
  const file = config.file as string
  const doc = await readStoreFile(file, {backend: name})
  if (!doc) throw noKeyYet(name)
  const next = await newKey(await unlocker.unlock(doc))
  const rekeyed = rekeyDocument(doc, next.old, next)
  const staged = await stageStoreFile(file, rekeyed, {backend: name})
  try {
    // Another writer of the file (another state) since it was read: its change would be lost.
    const now = await readStoreFile(file, {backend: name})
    if (JSON.stringify(now) !== JSON.stringify(doc)) {
      throw new StateError(`encrypted store file ${file} changed while it was being rekeyed; nothing was changed`, 'run the rekey again')
    }
  } catch (err) {
    await staged.discard()
    throw err
  }
  await staged.commit()
  const values = Object.values(doc.secrets).reduce((n, keys) => n + Object.keys(keys).length, 0)
  return {values, secrets: Object.keys(doc.secrets).length, password: next.password}
}

function noKeyYet(name: string): UsageError {
  return new UsageError(
    `encrypted backend ${name} holds no value yet, so it has no key to change`,
    'its key is made, with the password in force then, when the first secret is written to it',
  )
}

function describe(values: number, secrets: number, kdf: Argon2idParams): string {
  const n = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`
  return `${n(values, 'value')} of ${n(secrets, 'secret')} encrypted under a new key (new salt; Argon2id t=${kdf.timeCost} m=${kdf.memoryKiB} KiB p=${kdf.parallelism})`
}

/** Where the new password must now be: the keyring entry replaced when the old password came from it. */
async function passwordNotes(
  name: string,
  config: EncryptedConfig,
  old: PasswordFound,
  password: string,
  opts: EncryptedDriverOptions,
): Promise<string[]> {
  const variable = config.passwordEnv ?? PASSWORD_ENV
  if (old.source === 'env')
    return [`the old password came from ${variable}: set it to the new password wherever it is set (CI secrets, shell, .envrc)`]
  if (old.source === 'prompt') return ['the new password is stored nowhere: give it as before (prompt, or set ' + variable + ')']
  if (config.keyring === false) return []
  const entry = config.keyring
  const stored = await storePasswordInKeyring({backend: name, password, keyring: opts.keyring, keyringEntry: entry})
  if (stored.stored) return [`the OS keyring entry ${entry.service}/${entry.account} now holds the new password`]
  return [
    `WARNING: the OS keyring entry ${entry.service}/${entry.account} still holds the OLD password, which no longer opens the store (${stored.note}); update it, or set ${variable}`,
  ]
}
