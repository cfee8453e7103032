/**
 * The `environment` driver: a secret's values are variables of the process that runs secretctl,
 * `<prefix><SECRET>_<KEY>` by convention (or the variable a key's ref names). Read-only and never
 * listed: nothing enumerates the environment, so a secret's keys come from its `refs` (or, once
 * recorded, from the state). It reads DriverContext.env, never process.env.
 */
import type {BackendDriver, DriverContext, DriverFactory, HealthReport, SecretMetadata, SecretRefs, WriteResult} from '../driver.js'
import type {BackendCapabilities} from '../kind.js'
import type {SecretValues} from '../../state/types.js'
import {BackendError} from '../../errors.js'

/** Read-only, no versions (no drift to see), no token, never listed. */
export const ENVIRONMENT_CAPABILITIES: BackendCapabilities = {
  readOnly: true,
  versioned: false,
  storesInState: false,
  rotatableToken: false,
  listable: false,
}

/** ToolHive's TOOLHIVE_SECRET_<NAME>, with a key: SECRETCTL_SECRET_<SECRET>_<KEY>. */
export const DEFAULT_ENVIRONMENT_PREFIX = 'SECRETCTL_SECRET_'

/** A name as a variable name part: upper-cased, every character other than a letter or digit as `_`. */
function variablePart(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '_')
}

/** The variable that holds `key` of `secret` by the kind's convention. */
export function environmentVariable(secret: string, key: string, prefix = DEFAULT_ENVIRONMENT_PREFIX): string {
  return `${prefix}${variablePart(secret)}_${variablePart(key)}`
}

/** A ref names a variable: letters, digits and `_`, not starting with a digit. */
export function checkVariableRef(ref: string): string | undefined {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(ref)
    ? undefined
    : 'must be an environment variable name: letters, digits and _, not starting with a digit'
}

export class EnvironmentDriver implements BackendDriver {
  readonly type = 'environment'
  readonly capabilities = ENVIRONMENT_CAPABILITIES
  readonly name: string
  private readonly prefix: string

  constructor(private readonly ctx: DriverContext) {
    this.name = ctx.backend.name
    this.prefix = typeof ctx.backend.config.prefix === 'string' ? ctx.backend.config.prefix : DEFAULT_ENVIRONMENT_PREFIX
  }

  async health(): Promise<HealthReport> {
    return {ok: true, detail: 'ok'}
  }

  /** Every variable set: the values; none set: missing; some set: an error naming the others (names only). */
  async read(secretName: string, refs?: SecretRefs): Promise<SecretValues | undefined> {
    const values: SecretValues = {}
    const unset: string[] = []
    const variables = this.variables(secretName, refs)
    for (const [key, variable] of variables) {
      const value = this.ctx.env[variable]
      if (value === undefined) unset.push(variable)
      else values[key] = value
    }
    if (unset.length === variables.length) return undefined
    if (unset.length) {
      throw new BackendError(
        this.name,
        `secret ${secretName}: ${unset.join(', ')} ${unset.length === 1 ? 'is' : 'are'} not set (the other keys are)`,
        {
          hint: 'set every variable of the secret, or none',
        },
      )
    }
    return values
  }

  /** Whether every variable is set; no version (the environment has none). */
  async metadata(secretName: string, refs?: SecretRefs): Promise<SecretMetadata> {
    const variables = this.variables(secretName, refs)
    return {exists: variables.every(([, variable]) => this.ctx.env[variable] !== undefined), version: null, externalRef: null}
  }

  async write(): Promise<WriteResult> {
    throw new BackendError(this.name, 'is read-only: secretctl never writes to the environment')
  }

  async delete(): Promise<void> {
    throw new BackendError(this.name, 'is read-only: secretctl never deletes from the environment')
  }

  /** key → variable, sorted by key. */
  private variables(secretName: string, refs: SecretRefs | undefined): [string, string][] {
    if (!refs || Object.keys(refs).length === 0) {
      throw new BackendError(this.name, `cannot tell which keys secret ${secretName} has: the environment is never listed`, {
        hint: `name its keys under refs in the Secret manifest (refs: {KEY: } reads ${environmentVariable(secretName, 'KEY', this.prefix)})`,
      })
    }
    return Object.keys(refs)
      .sort()
      .map((key) => [key, refs[key] ?? environmentVariable(secretName, key, this.prefix)])
  }
}

export const createEnvironmentDriver: DriverFactory = (ctx) => new EnvironmentDriver(ctx)
