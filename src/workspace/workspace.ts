/**
 * A workspace is one run's view of the world: the desired model from the manifests, the values
 * of their sources, the state store and the backend drivers. Manifest and source errors are raised
 * before the state is opened, so bad input never touches the state.
 */
import {loadManifests} from '../manifests/load-manifests.js'
import type {DesiredModel} from '../manifests/types.js'
import {resolveValues, type ResolvedValues} from '../sources/resolve-values.js'
import {openState, resolveStateUrl, type StateAccess} from '../state/open-state.js'
import type {StateStore} from '../state/types.js'
import {DriverPool} from '../backends/driver-pool.js'
import {readProjectConfig} from '../manifests/project-config.js'
import path from 'node:path'
import {selectEnvironment, type Environment, type EnvironmentChoice} from '../environments/environment.js'
import type {ProjectConfig} from '../manifests/types.js'
import type {CredentialPrompt} from '../backends/driver.js'

export interface WorkspaceOptions {
  dir: string
  /** `--state` flag. */
  state?: string
  /** `--env` flag (SECRETCTL_ENV is read from `env`). */
  environment?: string
  env: NodeJS.ProcessEnv
  /** Bound on requests in flight per backend and on secrets written concurrently. */
  concurrency?: number
  /** How the command opens the state (default `create`: a writing command that may start one). */
  stateAccess?: StateAccess
  /** Keep encrypted values this machine cannot decrypt as unknown (`plan --allow-undecryptable`) instead of failing. */
  allowUndecryptable?: boolean
  /** A hidden prompt at the terminal, from the command layer (a kind asks for a password with it). */
  prompt?: CredentialPrompt
}

export interface Workspace {
  desired: DesiredModel
  values: ResolvedValues
  state: StateStore
  drivers: DriverPool
  concurrency: number
  close(): Promise<void>
}

export const DEFAULT_CONCURRENCY = 16

/** A desired model and its values prepared by the caller instead of loaded from the directory (bootstrap). */
export interface PreparedModel {
  desired: DesiredModel
  values: ResolvedValues
}

export async function openWorkspace(opts: WorkspaceOptions, prepared?: PreparedModel): Promise<Workspace> {
  const desired = prepared?.desired ?? (await loadManifests(opts.dir, environmentChoice(opts)))
  const values = prepared?.values ?? (await resolveValues(desired, {env: opts.env, allowUndecryptable: opts.allowUndecryptable ?? false}))
  const state = await openStateFor(desired.config, desired.environment, opts)
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY
  const drivers = new DriverPool(state, concurrency, opts.env, {dir: opts.dir, prompt: opts.prompt})
  const close = async () => {
    await drivers.close()
    await state.close()
  }
  return {desired, values, state, drivers, concurrency, close}
}

/** Opens the state of the run's environment (see stateUrlFor). */
export async function openStateFor(
  config: ProjectConfig,
  environment: Environment | null,
  opts: Omit<WorkspaceOptions, 'concurrency'>,
): Promise<StateStore> {
  return openState({url: stateUrlFor(config, environment, opts), dir: opts.dir, access: opts.stateAccess ?? 'create'})
}

/**
 * Which state a run uses: `--state`, then SECRETCTL_STATE, then the environment's own `state:`,
 * then `state:` of secretctl.yaml, then DIR/.secretctl/state.db. With environments, each has its
 * own: the default is DIR/.secretctl/ENV.db, a shared SQLite path gets `.ENV` before its
 * extension, and a Postgres state gets the schema `secretctl_ENV` (unless the URL names one with
 * `?schema=`), so that nothing done for one environment touches another's state.
 */
export function stateUrlFor(
  config: ProjectConfig,
  environment: Environment | null,
  opts: Pick<WorkspaceOptions, 'state' | 'env' | 'dir'>,
): string {
  const explicit = [opts.state, opts.env.SECRETCTL_STATE].map((v) => v?.trim()).find((v) => !!v)
  if (!environment) return resolveStateUrl({flag: explicit, configValue: config.state, dir: opts.dir})
  const shared = config.state?.trim()
  const chosen = explicit ?? environment.state ?? (shared ? perEnvironment(shared, environment.name) : `.secretctl/${environment.name}.db`)
  const url = resolveStateUrl({flag: chosen, dir: opts.dir})
  if (!/^postgres(ql)?:\/\//i.test(url) || /[?&]schema=/.test(url)) return url
  return `${url}${url.includes('?') ? '&' : '?'}schema=secretctl_${environment.name.replace(/-/g, '_')}`
}

/** A SQLite path shared by every environment, made the environment's own: `state.db` → `state.staging.db`. */
function perEnvironment(state: string, env: string): string {
  if (/^postgres(ql)?:\/\//i.test(state)) return state
  const ext = path.extname(state)
  return ext ? `${state.slice(0, -ext.length)}.${env}${ext}` : `${state}.${env}`
}

/** Opens a workspace, runs `work` with it and closes it however the work ends. */
export async function withWorkspace<T>(opts: WorkspaceOptions, work: (ws: Workspace) => Promise<T>, prepared?: PreparedModel): Promise<T> {
  const ws = await openWorkspace(opts, prepared)
  try {
    return await work(ws)
  } finally {
    await ws.close()
  }
}

/** Opens the state alone (no manifests), for commands that read it (or, asked, write an existing one); never creates one. */
export async function withExistingState<T>(
  opts: Omit<WorkspaceOptions, 'concurrency' | 'stateAccess'> & {stateAccess?: 'read' | 'write'},
  work: (state: StateStore) => Promise<T>,
): Promise<T> {
  const config = await readProjectConfig(opts.dir)
  const state = await openStateFor(config, selectEnvironment(config, environmentChoice(opts)), {
    ...opts,
    stateAccess: opts.stateAccess ?? 'read',
  })
  try {
    return await work(state)
  } finally {
    await state.close()
  }
}

/** Where the environment of a run comes from: `--env`, then SECRETCTL_ENV. */
export function environmentChoice(opts: Pick<WorkspaceOptions, 'environment' | 'env'>): EnvironmentChoice {
  return {flag: opts.environment, variable: opts.env.SECRETCTL_ENV}
}
