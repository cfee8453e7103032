/**
 * ToolHive's fallback made explicit: `exec` resolves each `--secret` through the links that
 * `exec.resolve` in secretctl.yaml lists, in order, and the first link that has the value wins.
 * `backend` reads through the state and the backend the secret lives on now; `environment` reads
 * SECRETCTL_SECRET_<NAME>_<KEY> (the environment kind's convention) and needs no state. A link
 * that does not have the secret says why, and when none has it the error names each link tried.
 * A backend that fails (forbidden, unreachable) is an error, never a reason to fall back.
 */
import type {DesiredModel, ProjectConfig} from '../manifests/types.js'
import type {SecretRecord, SecretValues, StateStore} from '../state/types.js'
import type {SecretMapping} from './env-mapping.js'
import {DriverPool} from '../backends/driver-pool.js'
import {readRecorded} from '../backends/secret-refs.js'
import {environmentVariable} from '../backends/environment/environment-driver.js'
import {environmentChoice, openStateFor} from '../workspace/environment-state.js'
import type {CredentialPrompt} from '../backends/driver.js'
import {selectEnvironment} from '../environments/environment.js'
import {MissingStateError, UsageError} from '../errors.js'

export type ExecLink = 'backend' | 'environment'

export const DEFAULT_EXEC_CHAIN: readonly ExecLink[] = ['backend']

export interface ChainOptions {
  dir: string
  /** `--state` flag. */
  state?: string
  /** `--env`. */
  environment?: string
  env: NodeJS.ProcessEnv
  config: ProjectConfig
  /** A hidden prompt at the terminal, for a backend's password. */
  prompt?: CredentialPrompt
}

/** A secret as the winning link has it: its values, and the keys it is known to have that the link lacks. */
export interface ResolvedSecret {
  values: SecretValues
  link: ExecLink
  missingKeys: string[]
}

type Answer = {found: Omit<ResolvedSecret, 'link'>} | {notFound: string}

export class ChainResolver {
  readonly links: readonly ExecLink[]
  private state?: Promise<StateStore | undefined>
  private drivers?: DriverPool
  private declared?: Promise<DesiredModel>
  /** Why the backend link had no state to read, when it had none. */
  private missingState?: MissingStateError

  constructor(private readonly opts: ChainOptions) {
    this.links = opts.config.exec?.resolve ?? DEFAULT_EXEC_CHAIN
  }

  async resolve(m: SecretMapping): Promise<ResolvedSecret> {
    const tried: string[] = []
    for (const link of this.links) {
      const answer = link === 'backend' ? await this.fromBackend(m) : await this.fromEnvironment(m)
      if ('found' in answer) return {...answer.found, link}
      tried.push(`${link}: ${answer.notFound}`)
    }
    // With the backend the only link, a missing state is the whole story, told with its own hint.
    if (this.links.length === 1 && this.missingState) throw this.missingState
    const what = m.key === undefined ? `secret ${m.name}` : `key ${m.key} of secret ${m.name}`
    throw new UsageError(
      `${what} not found (${tried.join('; ')})`,
      `exec resolves through ${this.links.join(', ')} (exec.resolve in secretctl.yaml)`,
    )
  }

  /** Closes what was opened: backend connections, then the state. */
  async close(): Promise<void> {
    await this.drivers?.close()
    const state = await this.state?.catch(() => undefined)
    await state?.close()
  }

  private async fromBackend(m: SecretMapping): Promise<Answer> {
    const state = await this.openState()
    if (!state) return {notFound: this.missingState?.message ?? 'no state'}
    const row = await state.getSecret(m.name)
    if (!row) return {notFound: `no secret named ${m.name} in the state`}
    this.drivers ??= new DriverPool(state, 16, this.opts.env, {dir: this.opts.dir, prompt: this.opts.prompt})
    const values = await readRecorded(await this.drivers.get(row.backend), row)
    if (!values) return {notFound: `${row.backend} holds no value for it although the state says it should (run secretctl plan)`}
    if (m.key !== undefined && !(m.key in values)) return {notFound: `it has no key ${m.key} on ${row.backend}`}
    const wanted = m.key !== undefined ? [m.key] : Object.keys(row.keys)
    return {found: {values, missingKeys: wanted.filter((k) => !(k in values)).sort()}}
  }

  private async fromEnvironment(m: SecretMapping): Promise<Answer> {
    const keys = m.key !== undefined ? [m.key] : await this.knownKeys(m.name)
    if (!keys?.length) return {notFound: `no state records secret ${m.name} and no manifest declares its keys: give key=KEY`}
    const values: SecretValues = {}
    const unset: string[] = []
    for (const key of keys) {
      const variable = environmentVariable(m.name, key)
      const value = this.opts.env[variable]
      if (value === undefined) unset.push(variable)
      else values[key] = value
    }
    if (unset.length === keys.length) return {notFound: `${unset.join(', ')} ${unset.length === 1 ? 'is' : 'are'} not set`}
    return {found: {values, missingKeys: keys.filter((k) => !(k in values)).sort()}}
  }

  /** The keys a secret has, for a `--secret NAME` without key=: as the state recorded them, else as the manifests declare them. */
  private async knownKeys(name: string): Promise<string[] | undefined> {
    const state = await this.openState()
    const row: SecretRecord | undefined = state ? await state.getSecret(name) : undefined
    if (row) return Object.keys(row.keys).sort()
    // Imported here: the manifest loader and the value sources are most of the code `exec` would load, and only
    // this fallback (the environment link, a secret the state does not record) reads the manifests.
    this.declared ??= import('../manifests/load-manifests.js').then(({loadManifests}) =>
      loadManifests(this.opts.dir, environmentChoice(this.opts)),
    )
    const secret = (await this.declared).secrets.find((s) => s.name === name)
    return secret ? [...new Set([...Object.keys(secret.data), ...Object.keys(secret.refs ?? {})])].sort() : undefined
  }

  /** The state as it exists (never created); undefined when there is none. */
  private openState(): Promise<StateStore | undefined> {
    const environment = selectEnvironment(this.opts.config, environmentChoice(this.opts))
    this.state ??= openStateFor(this.opts.config, environment, {...this.opts, stateAccess: 'read'}).catch((err: unknown) => {
      if (!(err instanceof MissingStateError)) throw err
      this.missingState = err
      return undefined
    })
    return this.state
  }
}
