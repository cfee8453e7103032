/**
 * An encrypted backend's config as the loader validated it: where the store lives (the state
 * database, or a file resolved against the manifests directory), where its password comes from,
 * and the Argon2id cost of a new key. No defaults are written into the config: the kind's cost
 * can be raised in a later release without every plan reporting a changed backend.
 */
import path from 'node:path'
import {BackendError} from '../../errors.js'
import {type Argon2idParams, DEFAULT_ARGON2ID} from './key-derivation.js'
import type {KeyringEntryName} from './os-keyring.js'
import {defaultKeyringEntry} from './password-source.js'

export interface EncryptedConfig {
  /** The store file, absolute; undefined: the store is in the state database. */
  file?: string
  /** `path:` as written (the external reference the state records names it). */
  path?: string
  passwordEnv?: string
  /** Where the password may be in the OS keyring; false: the keyring is not used. */
  keyring: KeyringEntryName | false
  /** Cost of a new key (new store, rekey). */
  kdf: Argon2idParams
}

export function encryptedConfig(config: Record<string, unknown>, backend: string, dir = '.'): EncryptedConfig {
  const kdf = {...DEFAULT_ARGON2ID, ...((config.kdf as Partial<Argon2idParams> | undefined) ?? {})}
  if (kdf.memoryKiB < 8 * kdf.parallelism) {
    throw new BackendError(backend, `config.kdf.memoryKiB ${kdf.memoryKiB} is less than 8 KiB per lane (parallelism ${kdf.parallelism})`, {
      hint: 'raise kdf.memoryKiB or lower kdf.parallelism',
    })
  }
  const entry = defaultKeyringEntry(backend)
  const account = typeof config.keyringAccount === 'string' ? config.keyringAccount : entry.account
  const file = typeof config.path === 'string' ? config.path : undefined
  return {
    ...(file ? {file: path.resolve(dir, file), path: file} : {}),
    ...(typeof config.passwordEnv === 'string' ? {passwordEnv: config.passwordEnv} : {}),
    keyring: config.keyring === false ? false : {service: entry.service, account},
    kdf,
  }
}
