/**
 * Typed errors of the engine. Each knows what the user did wrong and what to do; the CLI turns
 * them into a message and an exit code in one place (commands/base-command.ts). No error message
 * may ever carry a secret value: build messages from names, keys, paths and addresses only.
 */

/** Where in a manifest file something is: 1-based line and column. */
export interface SourcePosition {
  file: string
  line: number
  column: number
}

export class SecretctlError extends Error {
  /** Exit code the CLI uses for this error. */
  readonly exitCode: number = 1
  /** A short hint saying what to do about it, shown after the message. */
  readonly hint?: string

  constructor(message: string, hint?: string) {
    super(message)
    this.name = new.target.name
    this.hint = hint
  }
}

/** One problem in one manifest: file:line:column, the field's path, what is wrong. */
export interface ManifestProblem {
  file: string
  line: number
  column: number
  /** Dotted field path inside the document, e.g. `data.GITHUB_TOKEN.fromEnv`; empty for the document itself. */
  field: string
  message: string
  hint?: string
}

/** Every manifest problem found in one run, reported together. */
export class ManifestErrors extends SecretctlError {
  readonly problems: ManifestProblem[]

  constructor(problems: ManifestProblem[]) {
    super(
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in the manifests:\n` +
        problems.map((p) => formatManifestProblem(p)).join('\n'),
    )
    this.problems = problems
  }
}

export function formatManifestProblem(p: ManifestProblem): string {
  const where = `${p.file}:${p.line}:${p.column}`
  const field = p.field ? ` ${p.field}:` : ''
  return `  ${where}:${field} ${p.message}${p.hint ? ` (${p.hint})` : ''}`
}

/** Bad flags or arguments. */
export class UsageError extends SecretctlError {}

/** The state database refused or failed (cannot open, locked, wrong schema, permission). */
export class StateError extends SecretctlError {}

/** There is no state database where one was looked for (and it was not to be created). */
export class MissingStateError extends StateError {}

/** A plan cannot be applied as asked (stale plan, refused change such as deleting `default`). */
export class PlanError extends SecretctlError {}

/** A backend refused or failed an operation. `status` is the HTTP status where there was one. */
export class BackendError extends SecretctlError {
  readonly backend: string
  readonly status?: number
  /** True when the backend said "forbidden": never to be read as "missing". */
  readonly forbidden: boolean
  /** True when a check-and-set write found another version than the one it named. */
  readonly casMismatch: boolean

  constructor(backend: string, message: string, opts: {status?: number; forbidden?: boolean; casMismatch?: boolean; hint?: string} = {}) {
    super(`backend ${backend}: ${message}`, opts.hint)
    this.backend = backend
    this.status = opts.status
    this.forbidden = opts.forbidden ?? false
    this.casMismatch = opts.casMismatch ?? false
  }
}

/** The user pressed Ctrl-C (exit 130, as a shell does for SIGINT) or said no (exit 1, as Terraform does) at a question: nothing changed. */
export class CancelledError extends SecretctlError {
  override readonly exitCode: number

  constructor(message: string, how: 'interrupted' | 'declined' = 'interrupted') {
    super(message)
    this.exitCode = how === 'interrupted' ? 130 : 1
  }
}
