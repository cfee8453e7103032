/**
 * One driver per backend for the length of a run, built from the state's backend records, and the
 * trust-root reader drivers use to get their token (read once per run, then cached).
 */
import type {BackendDriver, CredentialPrompt} from './driver.js'
import {createDriver, kindOf} from './registry.js'
import {isInsufficientPrivilege} from '../state/state-errors.js'
import type {StateStore} from '../state/types.js'
import {BackendError, StateError} from '../errors.js'
import {DEFAULT_BACKEND, TRUST_ROOT_TYPE} from './trust-root.js'
import {canonicalJson} from '../plan/canonical-json.js'

export class DriverPool {
  private readonly drivers = new Map<string, BackendDriver>()
  /** Every driver built, forgotten ones too, so that close() reaches their connections. */
  private readonly built = new Set<BackendDriver>()
  private readonly trustRootCache = new Map<string, Promise<string>>()
  /** Drivers built from declarations (see `declared`), by name, type and config. */
  private readonly declaredDrivers = new Map<string, BackendDriver>()

  constructor(
    private readonly state: StateStore,
    private readonly concurrency: number,
    private readonly env: NodeJS.ProcessEnv = {},
    /** The manifests directory and the terminal prompt, for kinds that use them. */
    private readonly run: {dir?: string; prompt?: CredentialPrompt} = {},
  ) {}

  /** The driver of a backend as the state records it now (call after the backend's row exists). */
  async get(backendName: string): Promise<BackendDriver> {
    const cached = this.drivers.get(backendName)
    if (cached) return cached
    const backend = await this.state.getBackend(backendName)
    if (!backend) throw new StateError(`backend ${backendName} does not exist in the state`)
    const driver = await createDriver({
      backend,
      state: this.state,
      concurrency: this.concurrency,
      env: this.env,
      ...this.run,
      readTrustRoot: (ref) => this.readTrustRoot(backend, ref),
    })
    this.drivers.set(backendName, driver)
    this.built.add(driver)
    return driver
  }

  /**
   * The driver of a backend as the manifests declare it, for plan to look at a backend before
   * apply creates its record or changes its config: the state's driver when the record matches.
   */
  async declared(b: {name: string; type: string; config: Record<string, unknown>}): Promise<BackendDriver> {
    const record = await this.state.getBackend(b.name)
    if (record && record.type === b.type && canonicalJson(record.config) === canonicalJson(b.config)) return this.get(b.name)
    const id = `${b.name}\0${b.type}\0${canonicalJson(b.config)}`
    const cached = this.declaredDrivers.get(id)
    if (cached) return cached
    const now = new Date(0).toISOString()
    const driver = await createDriver({
      backend: {
        id: record?.id ?? 0,
        name: b.name,
        type: b.type,
        description: null,
        isDefault: false,
        config: b.config,
        rotation: null,
        tokenMeta: null,
        createdAt: now,
        updatedAt: now,
      },
      state: this.state,
      concurrency: this.concurrency,
      env: this.env,
      readTrustRoot: (ref) => this.readTrustRoot(b, ref),
    })
    this.declaredDrivers.set(id, driver)
    this.built.add(driver)
    return driver
  }

  /** Forget a backend's driver (after its config changed or it was deleted). */
  forget(backendName: string): void {
    this.drivers.delete(backendName)
  }

  private readTrustRoot(backend: {name: string; type: string}, ref: {name: string; key: string}): Promise<string> {
    const forBackend = backend.name
    // A run with a narrower role (a planner that may not read the state's plaintext values) brings
    // its own backend token in the environment.
    const override = this.env[tokenOverrideVariable(forBackend)]
    if (override) return Promise.resolve(override)
    const id = `${ref.name}\0${ref.key}`
    let pending = this.trustRootCache.get(id)
    if (!pending) {
      pending = (async () => {
        // No row, or a row without values in the state (not on the trust root's kind): null either way.
        // A row on another kind that keeps data in the state (encrypted envelopes) is not a token.
        const row = await this.state.getSecret(ref.name)
        const onTrustRoot = row && (await this.state.getBackend(row.backend))?.type === TRUST_ROOT_TYPE
        const data = onTrustRoot
          ? await this.state.readRowData(ref.name, row.backend).catch((err: unknown) => {
              throw isInsufficientPrivilege(err) ? tokenNotReadable(backend, ref) : err
            })
          : null
        if (!data) {
          throw new BackendError(forBackend, `its token secret ${ref.name} is not in the state, or not on a ${TRUST_ROOT_TYPE} backend`, {
            hint: `create secret ${ref.name} on the ${TRUST_ROOT_TYPE} backend ${DEFAULT_BACKEND} first (it is applied before the backend is used)`,
          })
        }
        const value = data[ref.key]
        if (value === undefined) throw new BackendError(forBackend, `its token secret ${ref.name} has no key ${ref.key}`)
        return value
      })()
      pending.catch(() => this.trustRootCache.delete(id))
      this.trustRootCache.set(id, pending)
    }
    return pending
  }

  /** Closes every driver's connections. */
  async close(): Promise<void> {
    const drivers = [...this.built]
    this.built.clear()
    this.drivers.clear()
    await Promise.allSettled(drivers.map((d) => d.close?.()))
  }

  /** Drop cached trust-root values (after a token rotation wrote a new one). */
  invalidateTrustRoot(): void {
    this.trustRootCache.clear()
    this.drivers.clear()
  }
}

/**
 * The state's role may not read the trust root's values (the planner role, by design): the run
 * needs a token of its own, read-only, in the environment.
 */
function tokenNotReadable(backend: {name: string; type: string}, ref: {name: string; key: string}): StateError {
  const variable = tokenOverrideVariable(backend.name)
  const policy = kindOf(backend.type, backend.name).accessPolicy
    ? `one with the read-only policy \`secretctl rbac print --role planner --backend ${backend.name}\` prints`
    : 'one that may read what a plan reads'
  return new StateError(
    `backend ${backend.name}: this database role may not read its token from the state (secret ${ref.name}, key ${ref.key}, on the trust root), as a planner's may not`,
    `give this run a token of its own in ${variable}: ${policy} (or run with a role that may read the trust root, \`secretctl rbac print --role applier\`)`,
  )
}

/** `SECRETCTL_BACKEND_TOKEN_<NAME>`: a backend token for this run instead of the trust root's. */
export function tokenOverrideVariable(backend: string): string {
  return `SECRETCTL_BACKEND_TOKEN_${backend.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`
}
