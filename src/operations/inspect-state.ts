/**
 * Read-only views of the state for `get` and `describe`: plain data with no values, no
 * fingerprints, and backend config values that look like credentials masked.
 */
import type {StateStore} from '../state/types.js'
import {maskConfig} from '../plan/mask-config.js'
import {tokenSecretRef} from '../backends/trust-root.js'
import {UsageError} from '../errors.js'
import {withExistingState} from '../workspace/environment-state.js'
import type {CredentialPrompt} from '../backends/driver.js'
import {tokenHealth, type TokenHealthWord} from '../rotation/token-health.js'
import type {BackendRecord} from '../state/types.js'

/** Token health applies to backends that authenticate with a token on the trust root; the others have none. */
function healthOf(b: BackendRecord, now: Date) {
  return tokenSecretRef(b.config) ? tokenHealth(b.tokenMeta, b.rotation as {period?: string} | null, now) : null
}

export interface BackendSummary {
  name: string
  type: string
  default: boolean
  secrets: number
  /** Token health word; null for backends without a token. */
  health: TokenHealthWord | null
  description: string | null
}

export interface SecretSummary {
  name: string
  backend: string
  keys: string[]
  externalRef: string | null
  version: string | null
  updatedAt: string
}

export async function listBackendSummaries(state: StateStore, now = new Date()): Promise<BackendSummary[]> {
  const [backends, secrets] = await Promise.all([state.listBackends(), state.listSecrets()])
  return backends.map((b) => ({
    name: b.name,
    type: b.type,
    default: b.isDefault,
    secrets: secrets.filter((s) => s.backend === b.name).length,
    health: healthOf(b, now)?.word ?? null,
    description: b.description,
  }))
}

export async function listSecretSummaries(state: StateStore): Promise<SecretSummary[]> {
  return (await state.listSecrets()).map((s) => ({
    name: s.name,
    backend: s.backend,
    keys: Object.keys(s.keys).sort(),
    externalRef: s.externalRef,
    version: s.backendVersion,
    updatedAt: s.updatedAt,
  }))
}

export async function describeBackend(state: StateStore, name: string, now = new Date()) {
  const b = await state.getBackend(name)
  if (!b) throw new UsageError(`no backend named ${name} in the state`, 'list them with `secretctl get backends`')
  const secrets = (await state.listSecrets()).filter((s) => s.backend === name).map((s) => s.name)
  return {
    name: b.name,
    type: b.type,
    default: b.isDefault,
    description: b.description,
    config: maskConfig(b.config),
    rotation: b.rotation,
    token: describeToken(b, now),
    secrets,
    createdAt: b.createdAt,
    updatedAt: b.updatedAt,
  }
}

export async function describeSecret(state: StateStore, name: string) {
  const s = await state.getSecret(name)
  if (!s) throw new UsageError(`no secret named ${name} in the state`, 'list them with `secretctl get secrets`')
  const retained = (await state.listRetainedCopies())
    .filter((r) => r.secretName === name)
    .map((r) => ({backend: r.backend, externalRef: r.externalRef, createdAt: r.createdAt}))
  return {
    name: s.name,
    backend: s.backend,
    externalRef: s.externalRef,
    version: s.backendVersion,
    keys: Object.fromEntries(
      Object.entries(s.keys).map(([k, v]) => [k, {source: v.source, writtenAt: v.writtenAt, ...(v.ref ? {ref: v.ref} : {})}]),
    ),
    retainedCopies: retained,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  }
}

function describeToken(b: BackendRecord, now: Date) {
  const h = healthOf(b, now)
  if (!h) return null
  return {
    health: h.word,
    detail: h.detail,
    accessor: b.tokenMeta?.accessor ?? null,
    createdAt: b.tokenMeta?.createdAt ?? null,
    lastRotatedAt: h.lastRotatedAt,
    expiresAt: h.expiresAt,
    lastRotationError: h.lastRotationError,
    lastRotationErrorAt: b.tokenMeta?.lastRotationErrorAt ?? null,
    lastRevokeWarning: b.tokenMeta?.lastRevokeWarning ?? null,
  }
}

/** Where the state of a read-only command is: it is opened as it exists, never created. */
export interface StateRequest {
  dir: string
  state?: string
  /** `--env`. */
  environment?: string
  env: NodeJS.ProcessEnv
  /** A hidden prompt at the terminal, for a backend's password. */
  prompt?: CredentialPrompt
}

export type ListedResources = {resource: 'backends'; rows: BackendSummary[]} | {resource: 'secrets'; rows: SecretSummary[]}

/** `secretctl get backends|secrets`. */
export function getResources(req: StateRequest, resource: 'backends' | 'secrets'): Promise<ListedResources> {
  return withExistingState(req, async (state) =>
    resource === 'backends' ? {resource, rows: await listBackendSummaries(state)} : {resource, rows: await listSecretSummaries(state)},
  )
}

/** `secretctl describe backend|secret NAME`. */
export function describeResource(req: StateRequest, resource: 'backend' | 'secret', name: string): Promise<object> {
  return withExistingState(
    req,
    (state): Promise<object> => (resource === 'backend' ? describeBackend(state, name) : describeSecret(state, name)),
  )
}
