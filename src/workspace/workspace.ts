/**
 * A workspace is one run's view of the world: the desired model from the manifests, the values
 * of their sources, the state store and the backend drivers. Manifest and source errors are raised
 * before the state is opened, so bad input never touches the state.
 */
import {loadManifests} from '../manifests/load-manifests.js'
import type {DesiredModel} from '../manifests/types.js'
import {resolveValues, type ResolvedValues} from '../sources/resolve-values.js'
import {openState, resolveStateUrl} from '../state/open-state.js'
import type {StateStore} from '../state/types.js'
import {DriverPool} from '../backends/driver-pool.js'
import {readProjectConfig} from '../manifests/project-config.js'
import type {CredentialPrompt} from '../backends/driver.js'

export interface WorkspaceOptions {
  dir: string
  /** `--state` flag. */
  state?: string
  env: NodeJS.ProcessEnv
  /** Bound on requests in flight per backend and on secrets written concurrently. */
  concurrency?: number
  /** Open the state read-only-ish: do not create it when missing. */
  createState?: boolean
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
  const desired = prepared?.desired ?? (await loadManifests(opts.dir))
  const values = prepared?.values ?? (await resolveValues(desired, {env: opts.env}))
  const state = await openStateFor(desired.config.state, opts)
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY
  const drivers = new DriverPool(state, concurrency, opts.env, {dir: opts.dir, prompt: opts.prompt})
  const close = async () => {
    await drivers.close()
    await state.close()
  }
  return {desired, values, state, drivers, concurrency, close}
}

/** Opens the state named by --state, SECRETCTL_STATE or secretctl.yaml, in that order. */
export async function openStateFor(configState: string | undefined, opts: Omit<WorkspaceOptions, 'concurrency'>): Promise<StateStore> {
  const url = resolveStateUrl({flag: opts.state, env: opts.env.SECRETCTL_STATE, configValue: configState, dir: opts.dir})
  return openState({url, dir: opts.dir, create: opts.createState ?? true})
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

/** Opens the state alone (no manifests), for commands that only read it; never creates one. */
export async function withExistingState<T>(
  opts: Omit<WorkspaceOptions, 'concurrency' | 'createState'>,
  work: (state: StateStore) => Promise<T>,
): Promise<T> {
  const config = await readProjectConfig(opts.dir)
  const state = await openStateFor(config.state, {...opts, createState: false})
  try {
    return await work(state)
  } finally {
    await state.close()
  }
}
