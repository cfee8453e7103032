/**
 * The errors of the encrypted backend, one class per thing the user must tell apart: a wrong
 * password, one altered value, a damaged store, no password at all. Each is a BackendError (so
 * the engine's handling of backend failures applies) whose message is the exact sentence the
 * user reads; none is ever "missing". Messages carry backend, secret, key and file names only.
 */
import {BackendError} from '../../errors.js'

/** A BackendError whose message is the given sentence, without the `backend X:` prefix. */
abstract class EncryptedBackendError extends BackendError {
  constructor(backend: string, sentence: string, hint?: string) {
    super(backend, sentence, {hint})
    this.message = sentence
  }
}

/** The key check did not open: the password (or the keyring entry) is not this store's. */
export class WrongPasswordError extends EncryptedBackendError {
  constructor(backend: string, hint = 'check SECRETCTL_ENCRYPTION_PASSWORD (or the passwordEnv variable) and the keyring entry') {
    super(backend, `wrong password for backend ${backend}`, hint)
  }
}

/** The key check opened, but this one envelope did not: it was altered, truncated or moved. */
export class CorruptValueError extends EncryptedBackendError {
  readonly secret: string
  readonly key: string

  constructor(backend: string, secret: string, key: string, detail?: string) {
    super(
      backend,
      `value of secret ${secret} key ${key} on backend ${backend} is corrupt or was altered${detail ? ` (${detail})` : ''}`,
      'restore it from a backup, or write it again (apply, or secret set)',
    )
    this.secret = secret
    this.key = key
  }
}

/** The store as a whole cannot be read: a truncated or non-JSON file, a bad header, a newer format. */
export class CorruptStoreError extends EncryptedBackendError {
  constructor(backend: string, what: string, hint?: string) {
    super(backend, `${what} (backend ${backend})`, hint)
  }
}

/** No password from any source: names the backend and every way to give one. */
export class PasswordUnavailableError extends EncryptedBackendError {
  readonly notes: string[]

  /** `subject` replaces `encrypted backend <name>` in the message (e.g. `the ToolHive secrets file`). */
  constructor(backend: string, envName: string, notes: string[], subject = `encrypted backend ${backend}`) {
    const tried = notes.length ? `; ${notes.join('; ')}` : ''
    super(
      backend,
      `no password for ${subject}${tried}`,
      `give it one of three ways: set ${envName}; store it in the OS keyring; or run at a terminal to be asked for it`,
    )
    this.notes = notes
  }
}
