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

export interface WorkspaceOptions {
  dir: string
  /** `--state` flag. */
  state?: string
  env: NodeJS.ProcessEnv
  /** Bound on requests in flight per backend and on secrets written concurrently. */
  concurrency?: number
  /** How the command opens the state (default `create`: a writing command that may start one). */
  stateAccess?: StateAccess
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

export async function openWorkspace(opts: WorkspaceOptions): Promise<Workspace> {
  const desired = await loadManifests(opts.dir)
  const values = await resolveValues(desired, {env: opts.env})
  const state = await openStateFor(desired.config.state, opts)
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY
  const drivers = new DriverPool(state, concurrency, opts.env)
  const close = async () => {
    await drivers.close()
    await state.close()
  }
  return {desired, values, state, drivers, concurrency, close}
}

/** Opens the state named by --state, SECRETCTL_STATE or secretctl.yaml, in that order. */
export async function openStateFor(configState: string | undefined, opts: Omit<WorkspaceOptions, 'concurrency'>): Promise<StateStore> {
  const url = resolveStateUrl({flag: opts.state, env: opts.env.SECRETCTL_STATE, configValue: configState, dir: opts.dir})
  return openState({url, dir: opts.dir, access: opts.stateAccess ?? 'create'})
}
