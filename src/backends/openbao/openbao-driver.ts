/**
 * The `openbao` driver (alias `vault`): secrets in a KV v2 mount at `mount/pathPrefix/name`.
 * Plan reads metadata only; writes use check-and-set when apply gives a version; deletes remove
 * every version; a 403 is an error naming the operation and path, never "missing". The token
 * comes from the trust root, read once per driver. No value or token ever reaches a message.
 */
import type {BackendDriver, DriverContext, DriverFactory, HealthReport, SecretMetadata, WriteOptions, WriteResult} from '../driver.js'
import type {SecretValues} from '../../state/types.js'
import {tokenApi, type TokenApi} from './openbao-token-rotation.js'
import {BackendError} from '../../errors.js'
import {OpenBaoClient, OpenBaoTransportError, type OpenBaoClientOptions, type RequestOptions} from './openbao-http-client.js'
import {
  casMismatchError,
  errorsOf,
  isMissing,
  responseError,
  unreachableError,
  type Attempted,
  type BaoResponse,
  type ErrorScope,
} from './openbao-errors.js'
import {kvPathsOf, openBaoConfig, type KvPaths, type OpenBaoConfig} from './openbao-config.js'
import {OPENBAO_CAPABILITIES} from './openbao-kind.js'
import {NEVER_SENT} from '../http-transport.js'

/** Timings of the driver's HTTP client; the defaults suit production, tests shorten them. */
export type OpenBaoDriverOptions = Pick<OpenBaoClientOptions, 'timeoutMs' | 'retries' | 'minRetryMs' | 'maxRetryMs'>

/** KV v2 keeps versions (drift, check-and-set) and lists folders; the token can be rotated. */
const CAS_MISMATCH = /check-and-set parameter did not match/

export class OpenBaoDriver implements BackendDriver {
  readonly type = 'openbao'
  readonly capabilities = OPENBAO_CAPABILITIES
  readonly name: string
  private readonly config: OpenBaoConfig
  private readonly paths: KvPaths
  private readonly client: OpenBaoClient
  private readonly scope: ErrorScope
  private token?: Promise<string>

  constructor(
    private readonly ctx: DriverContext,
    options: OpenBaoDriverOptions = {},
  ) {
    this.name = ctx.backend.name
    this.config = openBaoConfig(ctx.backend.config)
    this.paths = kvPathsOf(this.config)
    this.client = new OpenBaoClient({
      ...options,
      backend: this.name,
      url: this.config.url,
      namespace: this.config.namespace,
      concurrency: ctx.concurrency,
    })
    this.scope = {backend: this.name, url: this.client.url, mount: this.config.mount}
  }

  /** Where a secret of this name lives: `mount/pathPrefix/name`, the external reference the state records. */
  refFor(secretName: string): string {
    return this.paths.ref(secretName)
  }

  /** The trust root's token, read on first use and kept for the driver's life (a failed read is tried again next time). */
  private currentToken(): Promise<string> {
    if (!this.token) {
      const pending = this.ctx.readTrustRoot(this.config.tokenSecretRef).then((t) => t.trim())
      pending.catch(() => {
        if (this.token === pending) this.token = undefined
      })
      this.token = pending
    }
    return this.token
  }

  private async call(method: string, path: string, opts: Omit<RequestOptions, 'token'> = {}): Promise<BaoResponse> {
    return this.client.request(method, path, {token: await this.currentToken(), idempotent: true, ...opts})
  }

  async health(): Promise<HealthReport> {
    let r: BaoResponse
    try {
      // No namespace header (OpenBao refuses it on sys/health) and no token; statuses are the answer, never retried.
      r = await this.client.retrying(() => this.client.attempt('GET', 'sys/health', {withNamespace: false, transientStatuses: false}))
    } catch (err) {
      if (err instanceof OpenBaoTransportError) return {ok: false, detail: `unreachable: ${err.reason}`}
      throw err
    }
    if (r.status === 200) return {ok: true, detail: 'ok'}
    // 429 standby, 473 performance standby: they serve requests (forwarding writes to the active node).
    if (r.status === 429 || r.status === 473) return {ok: true, detail: 'standby'}
    if (r.status === 503 && r.body?.sealed !== false) return {ok: false, detail: 'sealed'}
    if (r.status === 501) return {ok: false, detail: 'not initialised'}
    return {ok: false, detail: `health answered ${r.status}`}
  }

  async metadata(secretName: string): Promise<SecretMetadata> {
    const path = this.paths.metadata(secretName)
    const r = await this.call('GET', path)
    // current_version stays the latest even when that version is soft-deleted or destroyed: the
    // secret "exists" with that version, and plan's version compare flags the drift.
    if (r.status === 200) return {exists: true, version: this.version(r.body?.data?.current_version, 'GET', path)}
    if (isMissing(r)) return {exists: false, version: null}
    if (r.status === 403) {
      // The narrow policy of mcpctl's guide grants data read but no metadata read: the data read
      // answers the version too (its value stays in memory and is dropped). A planner token reads
      // metadata and never gets here; a token refused both ways gets the metadata 403.
      const data = await this.call('GET', this.paths.data(secretName))
      if ((data.status === 200 || isMissing(data)) && data.body?.data?.metadata) {
        return {exists: true, version: this.version(data.body.data.metadata.version, 'GET', path)}
      }
      if (isMissing(data)) return {exists: false, version: null}
    }
    throw responseError(this.scope, {operation: 'reading metadata at', method: 'GET', path}, r)
  }

  async read(secretName: string): Promise<SecretValues | undefined> {
    const path = this.paths.data(secretName)
    const r = await this.call('GET', path)
    // A 404 with `{"errors":[]}` is missing; so is KV v2's 404 success body of a soft-deleted or
    // destroyed latest version (`data.data` null). Any other 404 is an error (see isMissing).
    if (isMissing(r)) return undefined
    if (r.status !== 200) throw responseError(this.scope, {operation: 'reading', method: 'GET', path}, r)
    if (!r.body?.data || !('metadata' in r.body.data)) throw this.notKvV2(path)
    const data: unknown = r.body.data.data
    if (data === null || data === undefined) return undefined
    if (typeof data !== 'object' || Array.isArray(data))
      throw new BackendError(this.name, `the secret at ${path} is not a map of keys to values`)
    for (const [key, value] of Object.entries(data)) {
      if (typeof value !== 'string') {
        throw new BackendError(
          this.name,
          `the secret at ${path} holds a non-string value under key ${key}; secretctl stores only string values`,
          {
            hint: 'store the value as a string (JSON-encode it, for instance), or keep this secret out of secretctl',
          },
        )
      }
    }
    return data as SecretValues
  }

  async write(secretName: string, values: SecretValues, opts: WriteOptions = {}): Promise<WriteResult> {
    const path = this.paths.data(secretName)
    const attempted: Attempted = {operation: 'writing', method: 'POST', path}
    // KV v2's check-and-set: 0 = must not exist, n = must be at version n.
    const cas = opts.ifVersion === undefined ? undefined : opts.ifVersion === null ? 0 : Number(opts.ifVersion)
    const body = cas === undefined ? {data: values} : {options: {cas}, data: values}
    const token = await this.currentToken()
    let r: BaoResponse
    try {
      // Only a check-and-set write is retried: should an attempt land and its answer be lost, the
      // retry's check-and-set fails, and reading back our own values proves the write took
      // effect. A write without one is sent once (a retry could overwrite someone else's).
      r = await this.client.retrying(async (attemptNumber) => {
        const answer = await this.client.attempt('POST', path, {token, body})
        if (attemptNumber > 1 && cas !== undefined && isCasMismatch(answer)) return (await this.landed(path, values, cas)) ?? answer
        return answer
      }, cas !== undefined)
    } catch (err) {
      if (!(err instanceof OpenBaoTransportError)) throw err
      if (!err.response)
        throw unreachableError(
          this.scope,
          NEVER_SENT.test(err.reason) ? err.reason : `${err.reason} (the write to ${path} may or may not have landed)`,
        )
      r = err.response
    }
    if (r.status === 200)
      return {externalRef: this.refFor(secretName), version: this.version(r.body?.data?.version, 'POST', path), rowData: null}
    if (r.status === 204) throw this.notKvV2(path)
    if (isCasMismatch(r)) throw casMismatchError(this.scope, path, cas ?? 0)
    throw responseError(this.scope, attempted, r)
  }

  /**
   * After a retried check-and-set write failed its check: the version holding exactly `values`
   * (an earlier attempt landed) as a success answer, or undefined when the secret holds something
   * else (the mismatch stands). The values are compared in memory, never logged.
   */
  private async landed(path: string, values: SecretValues, cas: number): Promise<BaoResponse | undefined> {
    const r = await this.call('GET', path)
    if (r.status !== 200) {
      throw new BackendError(
        this.name,
        `a write to ${path} may have landed before its answer was lost, and reading it back to confirm answered ${r.status}: ${errorsOf(r.body)}`,
        {
          status: r.status,
          hint: `run secretctl plan: it shows whether the secret holds version ${cas + 1}`,
        },
      )
    }
    if (!sameValues(r.body?.data?.data, values)) return undefined
    return {status: 200, body: {data: {version: r.body.data.metadata?.version}}}
  }

  async delete(secretName: string): Promise<void> {
    // DELETE on the metadata path removes every version and the metadata: a DELETE on the data
    // path only soft-deletes the latest version, leaving the values recoverable on the server.
    const path = this.paths.metadata(secretName)
    const r = await this.call('DELETE', path)
    if (r.status === 204 || r.status === 200 || isMissing(r)) return
    throw responseError(this.scope, {operation: 'deleting', method: 'DELETE', path}, r)
  }

  async list(): Promise<string[]> {
    // Names are flat: sub-folders (`dir/`) are not secretctl's.
    return (await this.listFolder()).secrets
  }

  /** The backend's folder (`mount/pathPrefix`): the secrets in it and its sub-folders (without their `/`), each sorted. */
  async listFolder(): Promise<{secrets: string[]; folders: string[]}> {
    // GET ?list=true rather than the LIST method: fetch (undici) cannot be relied on to send a
    // non-standard method, and OpenBao treats both the same.
    const path = this.paths.list()
    const r = await this.call('GET', `${path}?list=true`)
    if (isMissing(r)) return {secrets: [], folders: []}
    if (r.status !== 200) throw responseError(this.scope, {operation: 'listing', method: 'LIST', path}, r)
    const raw: unknown = r.body?.data?.keys
    const keys = Array.isArray(raw) ? raw.filter((k): k is string => typeof k === 'string') : []
    return {
      secrets: keys.filter((k) => !k.endsWith('/')).sort(),
      folders: keys
        .filter((k) => k.endsWith('/'))
        .map((k) => k.slice(0, -1))
        .sort(),
    }
  }

  /** The folder the backend's secrets are in: `mount/pathPrefix` as the state writes references, and its two parts. */
  folder(): {ref: string; mount: string; pathPrefix: string} {
    return {ref: this.paths.ref(''), mount: this.config.mount, pathPrefix: this.config.pathPrefix}
  }

  close(): Promise<void> {
    return this.client.close()
  }

  async tokenAccess(): Promise<{api: TokenApi; currentToken: string}> {
    return {api: tokenApi(this.client), currentToken: await this.currentToken()}
  }

  /** KV v2 versions are whole numbers; secretctl keeps them as opaque strings like every kind's. */
  private version(raw: unknown, method: string, path: string): string {
    const v = Number(raw)
    if (!Number.isInteger(v) || v < 0) throw new BackendError(this.name, `${method} ${path} answered without a version number`)
    return String(v)
  }

  private notKvV2(path: string): BackendError {
    return new BackendError(
      this.name,
      `the mount ${this.config.mount}/ answered ${path} like a KV version 1 engine; secretctl needs KV v2`,
      {
        hint: `upgrade it: bao kv enable-versioning ${this.config.mount}/`,
      },
    )
  }
}

function isCasMismatch(r: BaoResponse): boolean {
  return r.status === 400 && CAS_MISMATCH.test(errorsOf(r.body))
}

function sameValues(stored: unknown, written: SecretValues): boolean {
  if (!stored || typeof stored !== 'object') return false
  const a = stored as Record<string, unknown>
  const ka = Object.keys(a).sort()
  const kb = Object.keys(written).sort()
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === written[k])
}

/** A factory with other timings (tests shorten the backoff and the timeout). */
export function openBaoDriverFactory(options: OpenBaoDriverOptions = {}): DriverFactory {
  return (ctx: DriverContext) => new OpenBaoDriver(ctx, options)
}

export const createOpenBaoDriver: DriverFactory = openBaoDriverFactory()
