/**
 * The `kubernetes` driver: one Secret per secret in the backend's namespace, each key a `data`
 * entry. Created with POST, updated with PUT against `metadata.resourceVersion` (the version the
 * state records; a 409 is a check-and-set failure), deleted with a resourceVersion precondition.
 * Plan reads metadata only (PartialObjectMetadata: no value crosses the wire). Ownership as
 * External Secrets Operator marks it: labels say secretctl wrote the Secret for this secret, an
 * annotation keeps a salted fingerprint of its data; a Secret secretctl did not create is never
 * overwritten (unless adopted) nor deleted. Writes are retried after a lost answer, and the
 * fingerprint tells whether the lost write landed. No value or token ever reaches a message.
 */
import type {BackendDriver, DriverContext, DriverFactory, HealthReport, SecretMetadata, WriteOptions, WriteResult} from '../driver.js'
import {KUBERNETES_CAPABILITIES} from './kubernetes-kind.js'
import type {SecretValues} from '../../state/types.js'
import {BackendError} from '../../errors.js'
import {keysDigest, valueFingerprints} from '../../state/keys-digest.js'
import {secretAddress} from '../../plan/addresses.js'
import {TransportError} from '../http-transport.js'
import {KubeClient, type KubeClientTimings} from './kubernetes-http-client.js'
import {resolveConnection} from './kubernetes-connection.js'
import {
  BACKEND_LABEL,
  FINGERPRINT_ANNOTATION,
  kubernetesConfig,
  type KubernetesConfig,
  ownedBySecretctl,
  ownedSelector,
  ownershipAnnotations,
  ownershipLabels,
  SECRET_LABEL,
  secretObjectName,
} from './kubernetes-config.js'
import {
  type Attempted,
  casMismatchError,
  type ErrorScope,
  type KubeResponse,
  notOwnedError,
  responseError,
  statusReason,
  unauthorizedError,
} from './kubernetes-errors.js'
import {decodeSecretData, secretObject} from './kubernetes-secret-object.js'

/** Timings of the driver's HTTP client; the defaults suit production, tests shorten them. */
export type KubernetesDriverOptions = KubeClientTimings

/** resourceVersion drives drift and check-and-set; Secrets are listed by label; ownership is marked. */
/** Metadata only: the apiserver answers a PartialObjectMetadata(List) without `data`. */
const METADATA_ONLY = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json'
const METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json'

/** A namespace's name (apimachinery's IsDNS1123Label). */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

/** From this many secrets on, plan's metadata comes from one listing of the namespace rather than a GET each. */
const LIST_FROM = 16

/** A Secret's metadata as a listing gives it. */
export interface ObjectMetadata {
  name: string
  labels: Record<string, string>
  annotations: Record<string, string>
  resourceVersion: string
}

/** What the driver last saw of a Secret: at this resourceVersion, whose it was. */
interface Seen {
  version: string
  owned: boolean
  backend: string | undefined
}

export class KubernetesDriver implements BackendDriver {
  readonly type = 'kubernetes'
  readonly capabilities = KUBERNETES_CAPABILITIES
  readonly name: string
  private readonly config: KubernetesConfig
  private readonly client: KubeClient
  /**
   * Ownership as last read, per secret: a write naming that resourceVersion is refused when the
   * object is not secretctl's (unless adopted). A version the driver never saw is one the state
   * recorded from secretctl's own write, and the precondition makes sure it is still that object.
   */
  private readonly seen = new Map<string, Seen>()

  constructor(
    private readonly ctx: DriverContext,
    options: KubernetesDriverOptions = {},
  ) {
    this.name = ctx.backend.name
    this.config = kubernetesConfig(ctx.backend.config)
    this.client = new KubeClient({
      ...options,
      backend: this.name,
      concurrency: ctx.concurrency,
      connect: () => resolveConnection(this.config, ctx),
    })
  }

  /** The namespace: the config's, else the kubeconfig context's (or the pod's), else `default`. */
  namespace(): string {
    const namespace = this.config.namespace ?? this.client.connection().namespace ?? 'default'
    if (!DNS1123_LABEL.test(namespace) || namespace.length > 63) {
      throw new BackendError(this.name, `"${namespace}" is not a valid namespace name (lowercase letters, digits and '-', at most 63)`, {
        hint: 'set config.namespace to a valid one',
      })
    }
    return namespace
  }

  /** The Secret's name for a secret (`nameTemplate`); a name Kubernetes would refuse is an error before any request. */
  objectName(secretName: string): string {
    const named = secretObjectName(this.config, secretName)
    if ('invalid' in named) {
      throw new BackendError(this.name, `secret ${secretName} gives the Kubernetes Secret name ${named.invalid}`, {
        hint: 'rename the secret, or set config.nameTemplate (e.g. "app-{{name}}") so that names are valid',
      })
    }
    return named.name
  }

  /** `namespace/name`: the external reference the state records. */
  refFor(secretName: string): string {
    return `${this.namespace()}/${this.objectName(secretName)}`
  }

  private collection(): string {
    return `/api/v1/namespaces/${encodeURIComponent(this.namespace())}/secrets`
  }

  private item(secretName: string): string {
    return `${this.collection()}/${encodeURIComponent(this.objectName(secretName))}`
  }

  private scope(): ErrorScope {
    const c = this.client.connection()
    return {backend: this.name, server: c.server, namespace: this.namespace(), credential: c.credential}
  }

  private object(secretName: string): string {
    return `Secret ${this.refFor(secretName)}`
  }

  async health(): Promise<HealthReport> {
    let r: KubeResponse
    try {
      r = await this.client.retrying(() => this.client.attempt('GET', '/version'))
    } catch (err) {
      if (err instanceof TransportError)
        return err.response
          ? {ok: false, detail: `/version answered ${(err.response as KubeResponse).status}`}
          : {ok: false, detail: `unreachable: ${err.reason}`}
      if (err instanceof BackendError) return {ok: false, detail: err.message.replace(/^backend \S+: /, '')}
      throw err
    }
    if (r.status === 200) return {ok: true, detail: `ok (Kubernetes ${String(r.body?.gitVersion ?? 'version unknown')})`}
    // /version is open to any authenticated user by default; a cluster that closes it still serves Secrets.
    if (r.status === 403) return {ok: true, detail: 'ok (/version forbidden)'}
    if (r.status === 401) return {ok: false, detail: unauthorizedError(this.scope()).message.replace(/^backend \S+: /, '')}
    return {ok: false, detail: `/version answered ${r.status}`}
  }

  async metadata(secretName: string): Promise<SecretMetadata> {
    const ref = this.refFor(secretName)
    const r = await this.client.request('GET', this.item(secretName), {accept: METADATA_ONLY})
    if (r.status === 404) {
      this.seen.delete(secretName)
      return {exists: false, version: null, ref}
    }
    if (r.status !== 200) throw responseError(this.scope(), {verb: 'get', object: `Secret ${ref}`}, r)
    return this.found(secretName, r.body?.metadata ?? {})
  }

  /**
   * Many at once: below a handful, a GET each; else one listing of the namespace's Secrets,
   * metadata only, 500 a page (a plan of 1,000 secrets is two requests, not 1,000).
   */
  async metadataMany(secretNames: string[]): Promise<Map<string, SecretMetadata>> {
    const out = new Map<string, SecretMetadata>()
    if (secretNames.length < LIST_FROM) {
      await Promise.all(secretNames.map(async (n) => out.set(n, await this.metadata(n))))
      return out
    }
    const wanted = new Map(secretNames.map((n) => [this.objectName(n), n]))
    let next: string | undefined
    do {
      const query = new URLSearchParams({limit: '500', ...(next ? {continue: next} : {})})
      const r = await this.client.request('GET', `${this.collection()}?${query}`, {accept: METADATA_LIST})
      if (r.status !== 200) throw responseError(this.scope(), {verb: 'list', object: `Secrets in namespace ${this.namespace()}`}, r)
      for (const item of Array.isArray(r.body?.items) ? r.body.items : []) {
        const secretName = wanted.get(item?.metadata?.name)
        if (secretName !== undefined) out.set(secretName, this.found(secretName, item.metadata))
      }
      next = typeof r.body?.metadata?.continue === 'string' && r.body.metadata.continue ? r.body.metadata.continue : undefined
    } while (next)
    for (const n of secretNames) {
      if (out.has(n)) continue
      this.seen.delete(n)
      out.set(n, {exists: false, version: null, ref: this.refFor(n)})
    }
    return out
  }

  /** Metadata of a Secret that exists, remembered for the ownership check of a later write. */
  private found(
    secretName: string,
    meta: {resourceVersion?: unknown; labels?: Record<string, string>; annotations?: Record<string, string>},
  ): SecretMetadata {
    const seen = this.remember(secretName, meta)
    const fingerprint = meta.annotations?.[FINGERPRINT_ANNOTATION]
    return {
      exists: true,
      version: seen.version,
      owned: seen.owned,
      fingerprint: typeof fingerprint === 'string' ? fingerprint : null,
      ref: this.refFor(secretName),
    }
  }

  async read(secretName: string): Promise<SecretValues | undefined> {
    const attempted: Attempted = {verb: 'get', object: this.object(secretName)}
    const r = await this.client.request('GET', this.item(secretName))
    if (r.status === 404) return undefined
    if (r.status !== 200) throw responseError(this.scope(), attempted, r)
    this.remember(secretName, r.body?.metadata ?? {})
    const decoded = decodeSecretData(r.body?.data)
    if ('binaryKey' in decoded) {
      throw new BackendError(
        this.name,
        `${attempted.object} holds a binary value under key ${decoded.binaryKey}; secretctl stores only text`,
        {
          hint: 'keep this Secret out of secretctl, or store the value as text (base64 it yourself)',
        },
      )
    }
    if ('malformed' in decoded)
      throw new BackendError(this.name, `${attempted.object} answered with a data field that is not a map of keys to base64 strings`)
    return decoded.values
  }

  async write(secretName: string, values: SecretValues, opts: WriteOptions = {}): Promise<WriteResult> {
    const digest = await this.digest(values)
    const body = secretObject({
      config: this.config,
      backend: this.name,
      namespace: this.namespace(),
      objectName: this.objectName(secretName),
      secretName,
      address: secretAddress(secretName),
      values,
      digest,
    })
    let ifVersion = opts.ifVersion
    if (ifVersion === undefined) {
      const meta = await this.metadata(secretName)
      ifVersion = meta.exists ? meta.version : null
    }
    const seen = this.seen.get(secretName)
    if (ifVersion !== null && seen?.version === ifVersion && !seen.owned && !opts.adopt) {
      throw notOwnedError(this.scope(), this.object(secretName), 'overwrite')
    }
    const secretValues = Object.values(values)
    const r =
      ifVersion === null
        ? await this.send(secretName, 'POST', this.collection(), body, digest, secretValues)
        : await this.send(
            secretName,
            'PUT',
            this.item(secretName),
            {...body, metadata: {...body.metadata, resourceVersion: ifVersion}},
            digest,
            secretValues,
          )
    const object = this.object(secretName)
    if (r.status === 200 || r.status === 201) {
      const version = r.body?.metadata?.resourceVersion
      if (typeof version !== 'string' || !version) throw new BackendError(this.name, `writing ${object} answered without a resourceVersion`)
      this.seen.set(secretName, {version, owned: true, backend: this.name})
      return {externalRef: this.refFor(secretName), version, rowData: null}
    }
    // 409: AlreadyExists on a create, Conflict on an update; 404 on an update: deleted meanwhile.
    if (
      r.status === 409 ||
      (r.status === 404 && ifVersion !== null && statusReason(r) === 'NotFound' && r.body?.details?.kind === 'secrets')
    ) {
      this.seen.delete(secretName)
      throw casMismatchError(this.scope(), object, ifVersion)
    }
    throw responseError(this.scope(), {verb: ifVersion === null ? 'create' : 'update', object}, r, secretValues)
  }

  /**
   * A create or an update, retried on a lost answer or a transient status. Both are conditional
   * (a create fails when the Secret exists, an update names the resourceVersion), so a retry of a
   * write that landed fails its condition: the Secret then carries this write's fingerprint, and
   * that answer is the write's own.
   */
  private async send(
    secretName: string,
    method: 'POST' | 'PUT',
    path: string,
    body: unknown,
    digest: string,
    values: string[],
  ): Promise<KubeResponse> {
    try {
      return await this.client.retrying(async (attemptNumber) => {
        const answer = await this.client.attempt(method, path, {body})
        if (attemptNumber > 1 && answer.status === 409) return (await this.landed(secretName, digest)) ?? answer
        return answer
      })
    } catch (err) {
      if (err instanceof TransportError && err.response) return err.response as KubeResponse
      throw scrubbed(this.client.unanswered(err, true), values)
    }
  }

  /** After a retried write failed its condition: a success answer when the Secret holds exactly what this write wrote. */
  private async landed(secretName: string, digest: string): Promise<KubeResponse | undefined> {
    const meta = await this.metadata(secretName)
    if (!meta.exists || !meta.owned || meta.fingerprint !== digest) return undefined
    return {status: 200, body: {metadata: {resourceVersion: meta.version}}, headers: {}}
  }

  async delete(secretName: string): Promise<void> {
    const object = this.object(secretName)
    for (let round = 0; round < 3; round++) {
      let seen = this.seen.get(secretName)
      if (!seen) {
        const meta = await this.metadata(secretName)
        if (!meta.exists) return
        seen = this.seen.get(secretName) as Seen
      }
      if (!seen.owned) throw notOwnedError(this.scope(), object, 'delete')
      // Another backend of secretctl wrote this Secret since (same namespace and name): the copy
      // that was this backend's is gone, and the Secret is that backend's now.
      if (seen.backend !== undefined && seen.backend !== this.name) return
      const r = await this.client.request('DELETE', this.item(secretName), {
        body: {kind: 'DeleteOptions', apiVersion: 'v1', preconditions: {resourceVersion: seen.version}},
      })
      this.seen.delete(secretName)
      if (r.status === 200 || r.status === 202 || r.status === 404) return
      // Changed since it was read: look again (whose is it now?) and delete at its new version.
      if (r.status === 409) continue
      throw responseError(this.scope(), {verb: 'delete', object}, r)
    }
    throw casMismatchError(this.scope(), object, this.seen.get(secretName)?.version ?? '?')
  }

  async list(): Promise<string[]> {
    const names = new Set<string>()
    for (const object of await this.listObjects({labelSelector: ownedSelector(this.name)})) {
      const name = object.labels[SECRET_LABEL]
      if (typeof name === 'string' && name) names.add(name)
    }
    return [...names].sort()
  }

  /** The Secrets of the namespace that match the selectors, metadata only (no value crosses the wire), 500 a page. */
  async listObjects(selectors: {labelSelector?: string; fieldSelector?: string}): Promise<ObjectMetadata[]> {
    const out: ObjectMetadata[] = []
    let next: string | undefined
    do {
      const query = new URLSearchParams({
        ...(selectors.labelSelector ? {labelSelector: selectors.labelSelector} : {}),
        ...(selectors.fieldSelector ? {fieldSelector: selectors.fieldSelector} : {}),
        limit: '500',
        ...(next ? {continue: next} : {}),
      })
      const r = await this.client.request('GET', `${this.collection()}?${query}`, {accept: METADATA_LIST})
      if (r.status !== 200) throw responseError(this.scope(), {verb: 'list', object: `Secrets in namespace ${this.namespace()}`}, r)
      for (const item of Array.isArray(r.body?.items) ? r.body.items : []) {
        const meta = item?.metadata
        if (typeof meta?.name !== 'string') continue
        out.push({
          name: meta.name,
          labels: meta.labels ?? {},
          annotations: meta.annotations ?? {},
          resourceVersion: String(meta.resourceVersion ?? ''),
        })
      }
      next = typeof r.body?.metadata?.continue === 'string' && r.body.metadata.continue ? r.body.metadata.continue : undefined
    } while (next)
    return out
  }

  /** The secret a Secret of this name holds under the backend's nameTemplate, or undefined when no secret name gives it. */
  secretNameOf(objectName: string): string | undefined {
    const parts = this.config.nameTemplate.split('{{name}}')
    if (parts.length !== 2) return undefined
    const [before, after] = parts as [string, string]
    if (!objectName.startsWith(before) || !objectName.endsWith(after) || objectName.length <= before.length + after.length) return undefined
    const name = objectName.slice(before.length, objectName.length - after.length)
    const named = secretObjectName(this.config, name)
    return 'name' in named && named.name === objectName ? name : undefined
  }

  /** The Secrets' type the backend writes (`config.type`). */
  secretType(): string {
    return this.config.type
  }

  /**
   * Marks an existing Secret as secretctl's, for `secretctl import`: the ownership labels and
   * annotations (the fingerprint digest of these per-key fingerprints) by a merge patch of its
   * metadata, on condition it is still at `version`. No value is sent. Returns the new resourceVersion.
   */
  async claim(secretName: string, fingerprints: Record<string, string>, version: string): Promise<string> {
    const object = this.object(secretName)
    const body = {
      metadata: {
        resourceVersion: version,
        labels: ownershipLabels(this.config, this.name, secretName),
        annotations: ownershipAnnotations(this.config, secretAddress(secretName), keysDigest(fingerprints)),
      },
    }
    const r = await this.client.request('PATCH', this.item(secretName), {
      body,
      contentType: 'application/merge-patch+json',
      accept: METADATA_ONLY,
    })
    if (r.status === 409) throw casMismatchError(this.scope(), object, version)
    if (r.status !== 200) throw responseError(this.scope(), {verb: 'patch', object}, r)
    const next = r.body?.metadata?.resourceVersion
    if (typeof next !== 'string' || !next) throw new BackendError(this.name, `patching ${object} answered without a resourceVersion`)
    this.seen.set(secretName, {version: next, owned: true, backend: this.name})
    return next
  }

  close(): Promise<void> {
    return this.client.close()
  }

  /** keysDigest of the values' salted fingerprints: the annotation secretctl writes, and plan compares. */
  private async digest(values: SecretValues): Promise<string> {
    return keysDigest(await valueFingerprints(this.ctx.state, values))
  }

  private remember(secretName: string, meta: {resourceVersion?: unknown; labels?: Record<string, string>}): Seen {
    const version = typeof meta.resourceVersion === 'string' ? meta.resourceVersion : ''
    if (!version) throw new BackendError(this.name, `${this.object(secretName)} answered without a resourceVersion`)
    const seen: Seen = {version, owned: ownedBySecretctl(meta.labels, secretName), backend: meta.labels?.[BACKEND_LABEL]}
    this.seen.set(secretName, seen)
    return seen
  }
}

/** A BackendError's text with the write's values taken out (belt and braces: transport reasons carry none). */
function scrubbed(err: unknown, values: string[]): unknown {
  if (!(err instanceof BackendError)) return err
  return values.some((v) => v.length >= 4 && err.message.includes(v))
    ? new BackendError(err.backend, 'a write failed (details withheld: they quoted a value)')
    : err
}

/** A factory with other timings (tests shorten the backoff and the timeout). */
export function kubernetesDriverFactory(options: KubernetesDriverOptions = {}): DriverFactory {
  return (ctx: DriverContext) => new KubernetesDriver(ctx, options)
}

export const createKubernetesDriver: DriverFactory = kubernetesDriverFactory()
