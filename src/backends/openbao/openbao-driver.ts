/**
 * The `openbao` driver (alias `vault`): secrets in a KV v2 mount at `mount/pathPrefix/name`.
 * Plan reads metadata only; writes use check-and-set; deletes remove every version; a 403 is an
 * error naming the path and operation, never "missing". The token comes from the trust root.
 */
import pRetry, {AbortError} from 'p-retry'
import type {BackendDriver, DriverContext, DriverFactory, HealthReport, SecretMetadata, WriteOptions, WriteResult} from '../driver.js'
import type {SecretValues} from '../../state/types.js'
import {BackendError} from '../../errors.js'
import {OpenBaoClient, TransientError, errorsOf, isSealed, type BaoResponse} from './openbao-http-client.js'
import {kvPaths, openBaoConfig, type OpenBaoConfig} from './openbao-config.js'
import {tokenApi} from './token-api.js'

const CAS_MISMATCH = /check-and-set parameter did not match/

export class OpenBaoDriver implements BackendDriver {
  readonly type = 'openbao'
  readonly capabilities = {storesInState: false, versioned: true, checkAndSet: true}
  readonly name: string
  private readonly config: OpenBaoConfig
  private readonly client: OpenBaoClient
  private token?: Promise<string>

  constructor(private readonly ctx: DriverContext) {
    this.name = ctx.backend.name
    this.config = openBaoConfig(ctx.backend.config)
    this.client = new OpenBaoClient({backend: this.name, url: this.config.url, namespace: this.config.namespace, concurrency: ctx.concurrency})
  }

  refFor(secretName: string): string {
    return kvPaths.ref(this.config, secretName)
  }

  private currentToken(): Promise<string> {
    if (!this.token) {
      this.token = this.ctx.readTrustRoot(this.config.tokenSecretRef)
      this.token.catch(() => (this.token = undefined))
    }
    return this.token
  }

  private async call(method: string, path: string, opts: {body?: unknown; idempotent?: boolean} = {}): Promise<BaoResponse> {
    return this.client.request(method, path, {token: await this.currentToken(), ...opts})
  }

  /** The error for an answer that is not what the operation expects. */
  private failure(operation: string, path: string, r: BaoResponse): BackendError {
    if (r.status === 403) {
      return new BackendError(this.name, `permission denied ${operation} ${path}`, {status: 403, forbidden: true, hint: `the token's policy must allow this; \`secretctl rbac print --role applier --backend ${this.name}\` prints the policy`})
    }
    if (isSealed(r)) return new BackendError(this.name, `OpenBao at ${this.config.url} is sealed`, {status: 503, hint: 'unseal it and run the same command again'})
    const text = errorsOf(r.body)
    if (r.status === 404 && /no handler for route/.test(text)) {
      return new BackendError(this.name, `no KV v2 engine at mount ${this.config.mount}/ (${operation} ${path})`, {status: 404, hint: `enable one: bao secrets enable -path=${this.config.mount} kv-v2`})
    }
    return new BackendError(this.name, `${operation} ${path} answered ${r.status}: ${text}`, {status: r.status})
  }

  async health(): Promise<HealthReport> {
    let r: BaoResponse
    try {
      r = await this.client.attempt('GET', 'sys/health', {withNamespace: false})
    } catch (err) {
      if (!(err instanceof TransientError) || !err.response) return {ok: false, detail: err instanceof Error ? err.message : String(err)}
      r = err.response
    }
    if (r.status === 200) return {ok: true, detail: 'ok'}
    if (r.status === 429 || r.status === 472 || r.status === 473) return {ok: true, detail: 'standby'}
    if (r.status === 503) return {ok: false, detail: `OpenBao at ${this.config.url} is sealed`}
    if (r.status === 501) return {ok: false, detail: `OpenBao at ${this.config.url} is not initialised`}
    return {ok: false, detail: `OpenBao at ${this.config.url} answered health ${r.status}`}
  }

  async metadata(secretName: string): Promise<SecretMetadata> {
    const path = kvPaths.metadata(this.config, secretName)
    const r = await this.call('GET', path, {idempotent: true})
    if (r.status === 200) return {exists: true, version: Number(r.body.data.current_version)}
    if (r.status === 404) return {exists: false, version: null}
    if (r.status === 403) {
      // A token with the applier's narrow policy may read data but not metadata: the data read
      // answers the version too. A planner token (metadata read only) never gets here.
      const data = await this.call('GET', kvPaths.data(this.config, secretName), {idempotent: true})
      if (data.status === 200 || (data.status === 404 && data.body?.data?.metadata)) return {exists: true, version: Number(data.body.data.metadata.version)}
      if (data.status === 404) return {exists: false, version: null}
      throw this.failure('reading metadata at', path, r)
    }
    throw this.failure('reading metadata at', path, r)
  }

  async read(secretName: string): Promise<SecretValues | undefined> {
    const path = kvPaths.data(this.config, secretName)
    const r = await this.call('GET', path, {idempotent: true})
    if (r.status === 404) return undefined
    if (r.status !== 200) throw this.failure('reading', path, r)
    const data = r.body?.data?.data
    if (data === null || data === undefined) return undefined
    for (const [k, v] of Object.entries(data)) {
      if (typeof v !== 'string') throw new BackendError(this.name, `${path} key ${k} is not a string; secretctl stores string values only`)
    }
    return data as SecretValues
  }

  async write(secretName: string, values: SecretValues, opts: WriteOptions = {}): Promise<WriteResult> {
    const path = kvPaths.data(this.config, secretName)
    const body = opts.cas === undefined ? {data: values} : {options: {cas: opts.cas}, data: values}
    const token = await this.currentToken()
    let attempts = 0
    // Only a check-and-set write is retried: if an earlier attempt landed, the retry's CAS fails,
    // and reading back the same values proves the write took effect.
    const version = await pRetry(
      async () => {
        attempts++
        let r: BaoResponse
        try {
          r = await this.client.attempt('POST', path, {token, body})
        } catch (err) {
          if (err instanceof TransientError && opts.cas !== undefined) throw err
          if (err instanceof TransientError) throw new AbortError(err.response ? this.failure('writing', path, err.response) : new BackendError(this.name, err.message))
          throw new AbortError(err as Error)
        }
        if (r.status === 200) return Number(r.body.data.version)
        if (r.status === 400 && CAS_MISMATCH.test(errorsOf(r.body))) {
          if (attempts > 1) {
            const landed = await this.call('GET', path, {idempotent: true})
            if (landed.status === 200 && sameValues(landed.body.data.data, values)) return Number(landed.body.data.metadata.version)
          }
          throw new AbortError(
            new BackendError(this.name, `${path} changed on the server since secretctl last wrote it (check-and-set expected version ${opts.cas})`, {
              status: 400,
              hint: 'run `secretctl plan` to see the drift, then apply again',
            }),
          )
        }
        throw new AbortError(this.failure('writing', path, r))
      },
      {retries: 4, minTimeout: 100, maxTimeout: 2_000, factor: 2, randomize: true},
    ).catch((err) => {
      if (err instanceof TransientError) throw err.response ? this.failure('writing', path, err.response) : new BackendError(this.name, err.message)
      throw err
    })
    return {externalRef: this.refFor(secretName), version, rowData: null}
  }

  async delete(secretName: string): Promise<void> {
    // DELETE on metadata removes every version: a DELETE on data would only soft-delete the latest.
    const path = kvPaths.metadata(this.config, secretName)
    const r = await this.call('DELETE', path, {idempotent: true})
    if (r.status !== 204 && r.status !== 200 && r.status !== 404) throw this.failure('deleting', path, r)
  }

  async list(): Promise<string[]> {
    // GET ?list=true, not the LIST method: fetch cannot be relied on to send a non-standard method.
    const path = kvPaths.list(this.config)
    const r = await this.call('GET', `${path}?list=true`, {idempotent: true})
    if (r.status === 404) return []
    if (r.status !== 200) throw this.failure('listing', path, r)
    return ((r.body?.data?.keys ?? []) as string[]).filter((k) => !k.endsWith('/')).sort()
  }

  async tokenAccess() {
    return {api: tokenApi(this.client), currentToken: await this.currentToken()}
  }
}

function sameValues(a: Record<string, unknown> | null | undefined, b: SecretValues): boolean {
  if (!a) return false
  const ka = Object.keys(a).sort()
  const kb = Object.keys(b).sort()
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k])
}

export const createOpenBaoDriver: DriverFactory = (ctx: DriverContext) => new OpenBaoDriver(ctx)
