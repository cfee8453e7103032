/**
 * OpenBao's bootstrap wizard (`secretctl bootstrap openbao NAME`), the server side: with an admin
 * token used only in memory, health (sealed or uninitialised: refuse) → ensure a KV v2 mount →
 * write the narrow policy → ensure the token role (that policy only, periodic, renewable, orphan)
 * → mint the first token → verify it end to end. It writes nothing locally: the generic bootstrap
 * (src/operations/bootstrap-backend.ts) declares the backend and stores the token through plan
 * and apply. The admin token is persisted nowhere.
 */
import {BackendError, UsageError} from '../../errors.js'
import {parseDuration} from '../../duration.js'
import type {BootstrapOutcome, BootstrapRequest, BootstrapWizard} from '../kind.js'
import {OPENBAO_DEFAULTS} from './openbao-config.js'
import {OPENBAO_BOOTSTRAP_OPTIONS} from './openbao-bootstrap-options.js'
import {errorsOf, type BaoResponse} from './openbao-errors.js'
import {OpenBaoClient} from './openbao-http-client.js'
import {backendPolicy} from './openbao-policy.js'
import {probeToken, tokenApi, type TokenApi} from './openbao-token-rotation.js'

/** What the wizard needs from OpenBao: calls with a given token, and the unauthenticated health. */
export interface BootstrapApi extends TokenApi {
  health(): Promise<BaoResponse>
}

export function bootstrapApi(client: OpenBaoClient): BootstrapApi {
  return {
    ...tokenApi(client),
    health: () => client.request('GET', 'sys/health', {withNamespace: false, idempotent: true, transientStatuses: false}),
  }
}

export interface OpenBaoBootstrapOptions {
  url: string
  mount: string
  pathPrefix: string
  namespace?: string
  policyName: string
  tokenRole: string
  period: string
  ttl: string
}

export const openBaoBootstrap: BootstrapWizard = {
  ...OPENBAO_BOOTSTRAP_OPTIONS,
  async setUp(req: BootstrapRequest): Promise<BootstrapOutcome> {
    const text = (name: string) => (typeof req.options[name] === 'string' ? (req.options[name] as string) : undefined)
    const o: OpenBaoBootstrapOptions = {
      url: text('url') ?? '',
      mount: text('mount') ?? OPENBAO_DEFAULTS.mount,
      pathPrefix: text('path-prefix') ?? OPENBAO_DEFAULTS.pathPrefix,
      namespace: text('namespace'),
      policyName: text('policy-name') ?? 'secretctl',
      tokenRole: text('token-role') ?? 'secretctl',
      period: text('period') ?? '24h',
      ttl: text('ttl') ?? '720h',
    }
    const client = new OpenBaoClient({backend: req.name, url: o.url, namespace: o.namespace})
    try {
      return await setUpOpenBao(req.name, o, req.adminToken, bootstrapApi(client))
    } finally {
      await client.close()
    }
  },
}

/** The server-side setup against `api`; exported for tests that drive it with a scripted API. */
export async function setUpOpenBao(
  name: string,
  o: OpenBaoBootstrapOptions,
  adminToken: string,
  api: BootstrapApi,
): Promise<BootstrapOutcome> {
  if (!/^https?:\/\/[^\s/?#]+/.test(o.url)) throw new UsageError(`--url ${JSON.stringify(o.url)} is not an http:// or https:// URL`)
  if (parseDuration(o.period) === null) throw new UsageError(`--period ${JSON.stringify(o.period)} is not a duration`, 'e.g. 24h')
  if (parseDuration(o.ttl) === null) throw new UsageError(`--ttl ${JSON.stringify(o.ttl)} is not a duration`, 'e.g. 720h')
  const steps: string[] = []
  const fail = (what: string, r: BaoResponse, hint?: string): never => {
    throw new BackendError(name, `${what}: OpenBao answered ${r.status}: ${errorsOf(r.body)}`, {
      status: r.status,
      forbidden: r.status === 403,
      hint,
    })
  }

  let health: BaoResponse
  try {
    health = await api.health()
  } catch (err) {
    // The wizard's address comes from the --url flag, not a manifest: say so.
    if (err instanceof BackendError)
      throw new BackendError(name, err.message.replace(/^backend [^:]+: /, ''), {hint: 'check --url and that OpenBao is up'})
    throw err
  }
  if (health.status === 503 || health.body?.sealed)
    throw new BackendError(name, `OpenBao at ${o.url} is sealed`, {hint: 'unseal it, then run bootstrap again'})
  if (health.status === 501 || health.body?.initialized === false)
    throw new BackendError(name, `OpenBao at ${o.url} is not initialised`, {
      hint: 'initialise it (bao operator init), unseal it, then run bootstrap again',
    })
  if (health.status !== 200 && health.status !== 429) fail('health check', health)
  steps.push(`OpenBao at ${o.url} is healthy`)

  const mounts = await api.call('GET', 'sys/mounts', adminToken)
  if (mounts.status !== 200) fail('listing mounts', mounts, 'the admin token needs read on sys/mounts')
  const mount = (mounts.body?.data ?? mounts.body)?.[`${o.mount}/`]
  if (mount) {
    if (mount.type !== 'kv' || String(mount.options?.version) !== '2')
      throw new BackendError(name, `mount ${o.mount}/ exists but is ${mount.type} version ${mount.options?.version ?? 1}, not KV v2`, {
        hint: 'choose another --mount',
      })
    steps.push(`KV v2 mount ${o.mount}/ exists`)
  } else {
    const made = await api.call('POST', `sys/mounts/${o.mount}`, adminToken, {
      type: 'kv',
      options: {version: '2'},
      description: 'secretctl',
    })
    if (made.status !== 204 && made.status !== 200) fail(`enabling KV v2 at ${o.mount}/`, made)
    steps.push(`enabled KV v2 at ${o.mount}/`)
  }

  const policy = backendPolicy({mount: o.mount, pathPrefix: o.pathPrefix, tokenRole: o.tokenRole})
  const wrotePolicy = await api.call('PUT', `sys/policies/acl/${o.policyName}`, adminToken, {policy})
  if (wrotePolicy.status !== 204 && wrotePolicy.status !== 200) fail(`writing policy ${o.policyName}`, wrotePolicy)
  steps.push(`wrote policy ${o.policyName} (KV under ${o.mount}/${o.pathPrefix} and self-rotation only)`)

  const role = await api.call('POST', `auth/token/roles/${o.tokenRole}`, adminToken, {
    allowed_policies: [o.policyName],
    orphan: true,
    renewable: true,
    token_period: o.ttl,
    token_type: 'service',
  })
  if (role.status !== 204 && role.status !== 200) fail(`writing token role ${o.tokenRole}`, role)
  steps.push(`token role ${o.tokenRole}: policy ${o.policyName}, periodic (${o.ttl}), renewable, orphan`)

  const minted = await api.call('POST', `auth/token/create/${o.tokenRole}`, adminToken, {})
  if (minted.status !== 200) fail(`minting the first token through ${o.tokenRole}`, minted)
  const token = minted.body.auth.client_token as string
  const accessor = minted.body.auth.accessor as string
  steps.push(`minted the first token (accessor ${accessor})`)
  const discard = async () => void (await api.call('POST', 'auth/token/revoke-accessor', adminToken, {accessor}).catch(() => undefined))

  const problem = await probeToken(api, token, o.mount, o.pathPrefix)
  if (problem) {
    await discard()
    throw new BackendError(name, `verification failed: ${problem}`, {
      hint: 'the new token was revoked; check the mount and policy, then run bootstrap again',
    })
  }
  const looked = await api.call('GET', 'auth/token/lookup-self', token)
  steps.push('verified: the token writes, reads and deletes under the prefix')
  const at = new Date().toISOString()
  return {
    backend: {
      description: `OpenBao at ${o.url} (set up by secretctl bootstrap)`,
      isDefault: false,
      config: {
        url: o.url,
        tokenSecretRef: {name: `${name}-token`, key: 'token'},
        mount: o.mount,
        pathPrefix: o.pathPrefix,
        ...(o.namespace ? {namespace: o.namespace} : {}),
      },
      rotation: {tokenRole: o.tokenRole, policy: o.policyName, period: o.period, ttl: o.ttl},
    },
    token: {key: 'token', value: token},
    tokenMeta: {accessor, createdAt: at, lastRotatedAt: at, expiresAt: looked.body?.data?.expire_time ?? null, lastRotationError: null},
    steps,
    discard,
  }
}
