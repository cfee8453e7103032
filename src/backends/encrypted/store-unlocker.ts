/**
 * The password and the key of one encrypted backend for the length of a run, shared by both
 * storage variants and `backend rekey`: the password is resolved once (environment, OS keyring,
 * prompt; password-source.ts), the key derived once per store header (the run's key cache), and
 * a wrong password typed at the prompt is asked again, up to three times. A wrong password from
 * the environment or the keyring fails at once, saying which source it came from.
 */
import type {CredentialPrompt} from '../driver.js'
import type {EncryptedConfig} from './encrypted-config.js'
import {WrongPasswordError} from './encrypted-errors.js'
import {type DerivedKeyCache, runKeyCache} from './key-derivation.js'
import {type KeyringSource, type PasswordFound, PASSWORD_ENV, resolvePassword} from './password-source.js'
import {createStoreHeader, type StoreHeader, unlockStore} from './store-document.js'
import type {ValueCipher} from './value-cipher.js'

const PROMPT_ATTEMPTS = 3

export interface UnlockerOptions {
  env: Record<string, string | undefined>
  prompt?: CredentialPrompt
  /** The OS keyring (default), a fake (tests), or none; `config.keyring: false` wins. */
  keyring?: KeyringSource
  /** May we prompt? Default: stdin and stderr are terminals and this is not CI. */
  interactive?: boolean
  cache?: DerivedKeyCache
}

export class StoreUnlocker {
  readonly backend: string
  readonly #config: EncryptedConfig
  readonly #opts: UnlockerOptions
  #password?: Promise<PasswordFound>
  readonly #ciphers = new Map<string, Promise<ValueCipher>>()

  constructor(backend: string, config: EncryptedConfig, opts: UnlockerOptions) {
    this.backend = backend
    this.#config = config
    this.#opts = opts
  }

  /** The password, resolved once per run. `isNew`: the store does not exist yet, so a prompt asks twice. */
  password(isNew = false, retry = false): Promise<PasswordFound> {
    if (!this.#password) {
      const prompt = this.#opts.prompt
      this.#password = resolvePassword({
        backend: this.backend,
        passwordEnv: this.#config.passwordEnv,
        env: this.#opts.env,
        keyring: this.#config.keyring === false ? false : this.#opts.keyring,
        keyringEntry: this.#config.keyring === false ? undefined : this.#config.keyring,
        prompt: prompt && retry ? (question) => prompt(`That password does not open it; try again. ${question}`) : prompt,
        interactive: this.#opts.interactive,
        confirm: isNew,
      })
      this.#password.catch(() => (this.#password = undefined))
    }
    return this.#password
  }

  /** The cipher of an existing store, its key check verified (WrongPasswordError otherwise). */
  unlock(header: StoreHeader): Promise<ValueCipher> {
    let pending = this.#ciphers.get(header.keyCheck)
    if (!pending) {
      pending = this.#unlock(header)
      pending.catch(() => this.#ciphers.delete(header.keyCheck))
      this.#ciphers.set(header.keyCheck, pending)
    }
    return pending
  }

  async #unlock(header: StoreHeader): Promise<ValueCipher> {
    for (let attempt = 1; ; attempt++) {
      const found = await this.password(false, attempt > 1)
      try {
        return await unlockStore(header, found.password, this.backend, this.#opts.cache ?? runKeyCache)
      } catch (err) {
        if (!(err instanceof WrongPasswordError)) throw err
        if (found.source !== 'prompt') throw new WrongPasswordError(this.backend, this.#wrongHint(found))
        if (attempt >= PROMPT_ATTEMPTS) throw new WrongPasswordError(this.backend, `${PROMPT_ATTEMPTS} passwords typed, none opens it`)
        // Typed wrong: forget it, so the next attempt asks again.
        this.#password = undefined
      }
    }
  }

  /** A new store's header (new salt, the configured cost) and its cipher, under the run's password (asked twice at a prompt). */
  async create(): Promise<{header: StoreHeader; cipher: ValueCipher}> {
    const found = await this.password(true)
    return createStoreHeader(this.backend, found.password, {params: this.#config.kdf, cache: this.#opts.cache ?? runKeyCache})
  }

  /** Where a wrong password came from, for the hint. */
  #wrongHint(found: PasswordFound): string {
    if (found.source === 'env') {
      return `the password in ${this.#config.passwordEnv ?? PASSWORD_ENV} does not open it: set the right one (after \`backend rekey\`, the new one)`
    }
    const entry = this.#config.keyring === false ? undefined : this.#config.keyring
    return `the password in the OS keyring (${entry?.service}/${entry?.account}) does not open it: update the entry, or set ${this.#config.passwordEnv ?? PASSWORD_ENV}`
  }
}
