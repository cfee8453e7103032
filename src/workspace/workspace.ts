/**
 * A workspace is one run's view of the world: the desired model from the manifests, the values
 * of their sources, the state store and the backend drivers. Manifest and source errors are raised
 * before the state is opened, so bad input never touches the state.
 */
import {loadManifests} from '../manifests/load-manifests.js'
import {FieldPositions} from '../manifests/field-positions.js'
import {boundHeapGrowth} from './collect-garbage.js'
import type {DesiredModel} from '../manifests/types.js'
import {resolveValues, type ResolvedValues} from '../sources/resolve-values.js'
import type {StateAccess} from '../state/open-state.js'
import type {StateStore} from '../state/types.js'
import {DriverPool} from '../backends/driver-pool.js'
import {environmentChoice, openStateFor} from './environment-state.js'
import type {CredentialPrompt} from '../backends/driver.js'
import type {ApplyValues} from '../apply/packed-values.js'

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
  /** As resolved, or packed outside the heap by an apply once planning has read them (apply-manifests.ts). */
  values: ResolvedValues | ApplyValues
  state: StateStore
  drivers: DriverPool
  concurrency: number
  close(): Promise<void>
}

export const DEFAULT_CONCURRENCY = 16

/**
 * Manifests this large (10,000 secrets of a line or two each) bound the heap's growth while they are
 * parsed and planned (collect-garbage.ts); below it the heap stays small (~200 MiB of RSS at 10,000).
 */
const BOUND_HEAP_FROM_BYTES = 1 << 20

/** A desired model and its values prepared by the caller instead of loaded from the directory (bootstrap). */
export interface PreparedModel {
  desired: DesiredModel
  values: ResolvedValues
}

export async function openWorkspace(opts: WorkspaceOptions, prepared?: PreparedModel): Promise<Workspace> {
  // From the parsing of large manifests until the plan is made (an apply then gives V8 back its own rule: apply-manifests.ts).
  const onRead = (bytes: number) => {
    if (bytes >= BOUND_HEAP_FROM_BYTES) boundHeapGrowth(true)
  }
  const desired = prepared?.desired ?? (await loadManifests(opts.dir, environmentChoice(opts), onRead))
  const values = prepared?.values ?? (await resolveValues(desired, {env: opts.env, allowUndecryptable: opts.allowUndecryptable ?? false}))
  // Where each field of a secret was declared is read only to place resolveValues' messages (a secret's
  // own position, `at`, stays for the plan's): held on, it was ~18 MiB of the peak of planning 100,000
  // secrets (docs/performance.md, sixth round). A model the caller prepared is the caller's.
  if (!prepared) for (const secret of desired.secrets) secret.fields = FieldPositions.none
  const state = await openStateFor(desired.config, desired.environment, opts)
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY
  const drivers = new DriverPool(state, concurrency, opts.env, {dir: opts.dir, prompt: opts.prompt})
  const close = async () => {
    await drivers.close()
    await state.close()
  }
  return {desired, values, state, drivers, concurrency, close}
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
