/**
 * `secretctl bootstrap openbao NAME`: the one-command setup of an OpenBao backend. With an admin
 * token used only in memory: health (sealed or uninitialised: refuse) → ensure a KV v2 mount →
 * write the narrow policy → ensure the token role (that policy only, periodic, renewable, orphan)
 * → mint the first token → write the backend manifest and the placement-only token secret → store
 * the token on the plaintext trust root → verify end to end. The admin token is persisted nowhere.
 */
import {existsSync, writeFileSync, mkdirSync} from 'node:fs'
import {randomUUID} from 'node:crypto'
import path from 'node:path'
import {stringify} from 'yaml'
import type {StateStore} from '../state/types.js'
import type {TokenApi} from '../rotation/rotate-token.js'
import {probeToken} from '../rotation/rotate-token.js'
import {backendPolicy} from './narrow-policy.js'
import {BackendError, UsageError} from '../errors.js'
import {parseDuration} from '../duration.js'

export interface BootstrapOptions {
  name: string
  dir: string
  url: string
  mount: string
  pathPrefix: string
  namespace?: string
  policyName: string
  tokenRole: string
  period: string
  ttl: string
  isDefault: boolean
  /** For the audit table. */
  actor: string
}

export interface BootstrapResult {
  files: string[]
  tokenSecret: string
  accessor: string
  steps: string[]
}

/** What the wizard needs from OpenBao: calls with a given token, and the unauthenticated health. */
export interface BootstrapApi extends TokenApi {
  health(): Promise<{status: number; body: any}>
}

function errorsOf(body: any): string {
  return Array.isArray(body?.errors) && body.errors.length ? body.errors.join('; ') : 'no error text'
}

export function bootstrapFiles(o: BootstrapOptions): Record<string, string> {
  const tokenSecret = `${o.name}-token`
  const backend = {
    kind: 'SecretBackend',
    name: o.name,
    type: 'openbao',
    description: `OpenBao at ${o.url} (set up by secretctl bootstrap)`,
    ...(o.isDefault ? {isDefault: true} : {}),
    config: {
      url: o.url,
      tokenSecretRef: {name: tokenSecret, key: 'token'},
      mount: o.mount,
      pathPrefix: o.pathPrefix,
      ...(o.namespace ? {namespace: o.namespace} : {}),
    },
    rotation: {tokenRole: o.tokenRole, policy: o.policyName, period: o.period, ttl: o.ttl},
  }
  const secret = {
    kind: 'Secret',
    name: tokenSecret,
    description: `token secretctl uses for backend ${o.name}; rotated by secretctl, so no value source`,
    backend: 'default',
  }
  return {
    [`backend-${o.name}.yaml`]: `# Written by secretctl bootstrap openbao ${o.name}.\n${stringify(backend)}`,
    [`secret-${tokenSecret}.yaml`]: `# The token lives on the plaintext trust root (default), placement only: secretctl stores and rotates it.\n${stringify(secret)}`,
  }
}

export async function bootstrapOpenBao(
  o: BootstrapOptions,
  adminToken: string,
  api: BootstrapApi,
  state: StateStore,
  now: () => Date = () => new Date(),
): Promise<BootstrapResult> {
  if (!adminToken.trim())
    throw new UsageError(
      'the admin token is empty',
      'give it on the hidden prompt, with --admin-token-stdin, or in SECRETCTL_BAO_ADMIN_TOKEN',
    )
  if (parseDuration(o.period) === null) throw new UsageError(`--period ${JSON.stringify(o.period)} is not a duration`, 'e.g. 24h')
  if (parseDuration(o.ttl) === null) throw new UsageError(`--ttl ${JSON.stringify(o.ttl)} is not a duration`, 'e.g. 720h')
  const files = bootstrapFiles(o)
  for (const f of Object.keys(files)) {
    if (existsSync(path.join(o.dir, f)))
      throw new UsageError(`${path.join(o.dir, f)} already exists`, 'remove it or bootstrap under another name')
  }
  if (await state.getBackend(o.name))
    throw new UsageError(
      `backend ${o.name} already exists in the state`,
      'bootstrap under another name, or rotate its token with `secretctl rotate backend`',
    )
  const steps: string[] = []
  const fail = (what: string, r: {status: number; body: any}, hint?: string): never => {
    throw new BackendError(o.name, `${what}: OpenBao answered ${r.status}: ${errorsOf(r.body)}`, {
      status: r.status,
      forbidden: r.status === 403,
      hint,
    })
  }

  const health = await api.health()
  if (health.status === 503 || health.body?.sealed)
    throw new BackendError(o.name, `OpenBao at ${o.url} is sealed`, {hint: 'unseal it, then run bootstrap again'})
  if (health.status === 501 || health.body?.initialized === false)
    throw new BackendError(o.name, `OpenBao at ${o.url} is not initialised`, {
      hint: 'initialise it (bao operator init), unseal it, then run bootstrap again',
    })
  if (health.status !== 200 && health.status !== 429) fail('health check', health)
  steps.push(`OpenBao at ${o.url} is healthy`)

  const mounts = await api.call('GET', 'sys/mounts', adminToken)
  if (mounts.status !== 200) fail('listing mounts', mounts, 'the admin token needs read on sys/mounts')
  const mount = (mounts.body?.data ?? mounts.body)?.[`${o.mount}/`]
  if (mount) {
    if (mount.type !== 'kv' || String(mount.options?.version) !== '2')
      throw new BackendError(o.name, `mount ${o.mount}/ exists but is ${mount.type} version ${mount.options?.version ?? 1}, not KV v2`, {
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

  const problem = await probeToken(api, token, o.mount, o.pathPrefix)
  if (problem) {
    await api.call('POST', 'auth/token/revoke-accessor', adminToken, {accessor}).catch(() => undefined)
    throw new BackendError(o.name, `verification failed: ${problem}`, {
      hint: 'the new token was revoked; check the mount and policy, then run bootstrap again',
    })
  }
  const looked = await api.call('GET', 'auth/token/lookup-self', token)
  steps.push('verified: the token writes, reads and deletes under the prefix')

  // Persist: the backend and its token on the trust root (the state), then the manifests.
  const tokenSecret = `${o.name}-token`
  const at = now().toISOString()
  await state.upsertBackend({
    name: o.name,
    type: 'openbao',
    description: `OpenBao at ${o.url} (set up by secretctl bootstrap)`,
    config: {
      url: o.url,
      tokenSecretRef: {name: tokenSecret, key: 'token'},
      mount: o.mount,
      pathPrefix: o.pathPrefix,
      ...(o.namespace ? {namespace: o.namespace} : {}),
    },
    rotation: {tokenRole: o.tokenRole, policy: o.policyName, period: o.period, ttl: o.ttl},
  })
  await state.putSecret({
    name: tokenSecret,
    backend: 'default',
    externalRef: null,
    rowData: {token},
    keys: {token: {fingerprint: await state.fingerprint('token', token), source: 'external', writtenAt: at}},
    backendVersion: null,
  })
  await state.setTokenMeta(o.name, {
    accessor,
    createdAt: at,
    lastRotatedAt: at,
    expiresAt: looked.body?.data?.expire_time ?? null,
    lastRotationError: null,
  })
  if (o.isDefault) await state.setDefaultBackend(o.name)
  const runId = randomUUID()
  for (const [address, action] of [
    [`backend.${o.name}`, 'create'],
    [`secret.${tokenSecret}`, 'create'],
    ...(o.isDefault ? [[`backend.${o.name}`, 'set-default']] : []),
  ] as const) {
    await state.audit({runId, actor: o.actor, address, action, outcome: 'applied', detail: 'secretctl bootstrap openbao'})
  }
  await state.bumpSerial()
  mkdirSync(o.dir, {recursive: true})
  for (const [f, content] of Object.entries(files)) writeFileSync(path.join(o.dir, f), content, {flag: 'wx'})
  steps.push(`stored the token on the trust root as secret ${tokenSecret}; wrote ${Object.keys(files).join(', ')}`)
  return {files: Object.keys(files), tokenSecret, accessor, steps}
}
