/**
 * The one error type of the encrypted-file formats (age, SOPS, dotenvx). It names the file, and
 * where it can the line and the key, and says what kind of failure it is so a caller can tell
 * "this machine has no key" (a plan may go on without the value) from "the file is damaged or
 * was tampered with" (never). Messages are built from paths, key names, recipient public keys
 * and counts only: never from a value, a private key or a library's error text.
 */
import {SecretctlError} from '../errors.js'

export type EncryptedFileProblem =
  /** No identity or private key was found anywhere this machine looks. */
  | 'no-key'
  /** Keys were found, but none of them opens the file or value. */
  | 'wrong-key'
  /** The file or value ends early, or its payload fails authentication where it was cut. */
  | 'truncated'
  /** ASCII armor that is not well-formed. */
  | 'bad-armor'
  /** A base64 field that does not decode. */
  | 'bad-base64'
  /** A SOPS value whose `type:` is none SOPS writes. */
  | 'unknown-type'
  /** The SOPS MAC does not match the values: a value was changed, reordered, added or removed. */
  | 'mac-mismatch'
  /** One encrypted value fails authentication: it was changed, or moved from another key path. */
  | 'tampered'
  /** A valid file this reader does not handle (PGP/KMS-only SOPS, Shamir key groups, passphrase-encrypted age, …). */
  | 'unsupported'
  /** Not the format it claims to be, or broken in a way that is none of the above. */
  | 'malformed'
  /** A key path asked for that the file does not have. */
  | 'missing-key'

export interface EncryptedFileErrorOptions {
  line?: number
  /** The key or key path inside the file (`DB_PASSWORD`, `db.password`); never a value. */
  key?: string
  hint?: string
}

export class EncryptedFileError extends SecretctlError {
  readonly problem: EncryptedFileProblem
  readonly file: string
  readonly line?: number
  readonly key?: string

  constructor(problem: EncryptedFileProblem, file: string, message: string, opts: EncryptedFileErrorOptions = {}) {
    const where = opts.line === undefined ? file : `${file}:${opts.line}`
    super(`${where}: ${opts.key === undefined ? '' : `${opts.key}: `}${message}`, opts.hint)
    this.problem = problem
    this.file = file
    this.line = opts.line
    this.key = opts.key
  }

  /**
   * True when the failure is about this machine's keys (none, or not the right ones), not the
   * file: a plan run without the keys can report such a value as unknown instead of failing.
   */
  get keyUnavailable(): boolean {
    return this.problem === 'no-key' || this.problem === 'wrong-key'
  }
}
