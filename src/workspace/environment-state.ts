/**
 * Which state a run uses and opening it, without the manifests: the part of a workspace that the
 * commands reading only the state (`exec`, `get`, `history`, …) need, kept apart from
 * workspace.ts so that they do not load the manifest loader and the value sources with it.
 */
import path from 'node:path'
import {readProjectConfig} from '../manifests/project-config.js'
import type {ProjectConfig} from '../manifests/types.js'
import {selectEnvironment, type Environment, type EnvironmentChoice} from '../environments/environment.js'
import {openState, resolveStateUrl} from '../state/open-state.js'
import type {StateStore} from '../state/types.js'
import type {WorkspaceOptions} from './workspace.js'

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
