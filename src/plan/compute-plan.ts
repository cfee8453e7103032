/**
 * Computes a Plan from the desired model (manifests, value fingerprints) and the live model (the
 * state, plus backend metadata versions for drift). Pure: no I/O, so the same inputs always give
 * the same, byte-identical plan. Values never enter here; only their salted fingerprints do.
 */
import type {DesiredModel, SecretManifest, BackendManifest} from '../manifests/types.js'
import type {BackendRecord, SecretRecord, StateMeta} from '../state/types.js'
import type {SecretMetadata} from '../backends/driver.js'
import {PlanError} from '../errors.js'
import {canonicalJson} from './canonical-json.js'
import {maskConfig} from './mask-config.js'
import {parseDuration} from '../duration.js'
import {rotationDue} from '../rotation/token-health.js'
import {
  FORMAT_VERSION,
  Phase,
  type BackendView,
  type Change,
  type KeyChange,
  type Plan,
  type PlanSummary,
  type SecretView,
} from './types.js'

export const DEFAULT_BACKEND = 'default'

/** What the plan knows of one desired key: its source and, for sourced values, the salted fingerprint. */
export interface DesiredKey {
  source: 'env' | 'file' | 'envFile' | 'generate'
  /** null for `generate` (the value does not exist until apply makes it). */
  fingerprint: string | null
  rotateEvery?: string
}

export interface PlanInput {
  desired: DesiredModel
  meta: StateMeta
  backends: BackendRecord[]
  secrets: SecretRecord[]
  /** secret name → key → desired key; absent for placement-only secrets. */
  desiredKeys: Map<string, Map<string, DesiredKey>>
  /** secret name → metadata read from its current backend, for versioned backends only. */
  backendMetadata: Map<string, SecretMetadata>
  options: {prune: boolean; rotate: boolean; targets: string[]; now: Date}
}

export function secretAddress(name: string): string {
  return `secret.${name}`
}
export function backendAddress(name: string): string {
  return `backend.${name}`
}

/** The backend secrets without `backend:` go to: the one marked isDefault, else `default`. */
export function desiredDefaultBackend(desired: DesiredModel): string {
  return desired.backends.find((b) => b.isDefault)?.name ?? DEFAULT_BACKEND
}

export function placementOf(secret: SecretManifest, desired: DesiredModel): string {
  return secret.backend ?? desiredDefaultBackend(desired)
}

/** Names of the secrets backends authenticate with (their tokenSecretRef): the trust root. */
export function trustRootSecretNames(desired: DesiredModel): Set<string> {
  const names = new Set<string>()
  for (const b of desired.backends) {
    const ref = b.config.tokenSecretRef as {name?: unknown} | undefined
    if (ref && typeof ref.name === 'string') names.add(ref.name)
  }
  return names
}

export function backendView(b: {
  type: string
  description?: string | null
  isDefault: boolean
  config: Record<string, unknown>
  rotation?: unknown
}): BackendView {
  return {
    type: b.type,
    description: b.description ?? null,
    isDefault: b.isDefault,
    config: maskConfig(b.config),
    rotation: (b.rotation as Record<string, unknown> | undefined) ?? null,
  }
}

function desiredBackendState(b: BackendManifest, defaultName: string) {
  return {
    type: b.type,
    description: b.description ?? null,
    isDefault: b.name === defaultName,
    config: b.config,
    rotation: (b.rotation as Record<string, unknown> | undefined) ?? null,
  }
}

function diffBackend(b: BackendManifest, live: BackendRecord): string[] {
  const reasons: string[] = []
  if ((b.description ?? null) !== (live.description ?? null)) reasons.push('description changed')
  const keys = [...new Set([...Object.keys(b.config), ...Object.keys(live.config)])].sort()
  for (const k of keys) {
    if (canonicalJson(b.config[k]) !== canonicalJson(live.config[k])) reasons.push(`config.${k} changed`)
  }
  if (canonicalJson(b.rotation ?? null) !== canonicalJson(live.rotation ?? null)) reasons.push('rotation changed')
  return reasons
}

function keyChanges(
  desiredKeys: Map<string, DesiredKey>,
  live: SecretRecord | undefined,
  rotate: boolean,
  now: Date,
): Record<string, KeyChange> {
  const out: Record<string, KeyChange> = {}
  const recorded = live?.keys ?? {}
  for (const key of [...desiredKeys.keys()].sort()) {
    const want = desiredKeys.get(key)!
    const have = recorded[key]
    if (!have) out[key] = 'added'
    else if (want.source === 'generate') {
      const every = want.rotateEvery ? parseDuration(want.rotateEvery) : null
      const age = now.getTime() - Date.parse(have.writtenAt)
      out[key] = rotate && every !== null && age >= every ? 'regenerated' : 'unchanged'
    } else out[key] = want.fingerprint === have.fingerprint ? 'unchanged' : 'changed'
  }
  for (const key of Object.keys(recorded).sort()) if (!desiredKeys.has(key)) out[key] = 'removed'
  return out
}

function describeKeyChanges(keys: Record<string, KeyChange>): string[] {
  const by = (c: KeyChange) => Object.keys(keys).filter((k) => keys[k] === c)
  const parts: string[] = []
  const changed = by('changed')
  if (changed.length) parts.push(`value of ${changed.join(', ')} changed`)
  const added = by('added')
  if (added.length) parts.push(`key${added.length > 1 ? 's' : ''} ${added.join(', ')} added`)
  const removed = by('removed')
  if (removed.length) parts.push(`key${removed.length > 1 ? 's' : ''} ${removed.join(', ')} removed`)
  const regen = by('regenerated')
  if (regen.length) parts.push(`${regen.join(', ')} due for regeneration`)
  return parts
}

function emptySummary(): PlanSummary {
  return {create: 0, update: 0, move: 0, delete: 0, rotate: 0, 'set-default': 0}
}

export function summarise(changes: Change[]): PlanSummary {
  const s = emptySummary()
  for (const c of changes) s[c.action]++
  return s
}

/** Deterministic order: by phase, then address. */
export function sortChanges(changes: Change[]): Change[] {
  return [...changes].sort((a, b) => a.phase - b.phase || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))
}

export function computePlan(input: PlanInput): Plan {
  const {desired, options} = input
  const changes: Change[] = []
  const warnings: string[] = []
  const liveBackends = new Map(input.backends.map((b) => [b.name, b]))
  const liveSecrets = new Map(input.secrets.map((s) => [s.name, s]))
  const defaultName = desiredDefaultBackend(desired)
  const trustRoot = trustRootSecretNames(desired)
  const desiredBackendNames = new Set([DEFAULT_BACKEND, ...desired.backends.map((b) => b.name)])

  // Backends: create or update, then the default switch.
  for (const b of [...desired.backends].sort((x, y) => (x.name < y.name ? -1 : 1))) {
    const live = liveBackends.get(b.name)
    const after = backendView(desiredBackendState(b, defaultName))
    if (!live) {
      changes.push({
        address: backendAddress(b.name),
        kind: 'backend',
        name: b.name,
        action: 'create',
        phase: Phase.Backends,
        reason: `new ${b.type} backend`,
        before: null,
        after,
      })
      continue
    }
    if (live.type !== b.type) {
      throw new PlanError(
        `backend ${b.name} is ${live.type} in the state but ${b.type} in ${b.at.file}:${b.at.line}; a backend cannot change type`,
        `declare a new backend with the new type, move the secrets to it, then remove ${b.name}`,
      )
    }
    const reasons = diffBackend(b, live)
    if (reasons.length) {
      changes.push({
        address: backendAddress(b.name),
        kind: 'backend',
        name: b.name,
        action: 'update',
        phase: Phase.Backends,
        reason: reasons.join('; '),
        before: backendView(live),
        after,
      })
    }
  }
  const liveDefault = input.backends.find((b) => b.isDefault)?.name ?? DEFAULT_BACKEND
  if (liveDefault !== defaultName) {
    changes.push({
      address: backendAddress(defaultName),
      kind: 'backend',
      name: defaultName,
      action: 'set-default',
      phase: Phase.DefaultSwitch,
      reason: `default backend ${liveDefault} → ${defaultName}`,
      before: null,
      after: null,
      from: liveDefault,
      to: defaultName,
    })
  }

  // Tokens due for rotation (only with --rotate).
  if (options.rotate) {
    for (const b of [...desired.backends].sort((x, y) => (x.name < y.name ? -1 : 1))) {
      if (!b.rotation) continue
      const due = rotationDue(liveBackends.get(b.name)?.tokenMeta ?? null, b.rotation, options.now)
      if (due.due) changes.push(tokenRotation(b.name, due.reason))
    }
  }

  // Secrets: create, update, move.
  const placementErrors: string[] = []
  for (const s of [...desired.secrets].sort((x, y) => (x.name < y.name ? -1 : 1))) {
    const live = liveSecrets.get(s.name)
    const to = placementOf(s, desired)
    const phase = trustRoot.has(s.name) ? Phase.TrustRootSecrets : Phase.Secrets
    const address = secretAddress(s.name)
    const want = input.desiredKeys.get(s.name)
    if (!live) {
      if (s.placementOnly || !want) {
        placementErrors.push(
          `${s.at.file}:${s.at.line}:${s.at.column}: secret ${s.name} is placement-only (no data sources) but does not exist in the state`,
        )
        continue
      }
      const keys = keyChanges(want, undefined, options.rotate, options.now)
      changes.push({
        address,
        kind: 'secret',
        name: s.name,
        action: 'create',
        phase,
        reason: `new secret on ${to} (${Object.keys(keys).length} key${Object.keys(keys).length === 1 ? '' : 's'})`,
        before: null,
        after: {backend: to, keys: Object.keys(keys).sort()},
        keys,
      })
      continue
    }
    const before: SecretView = {backend: live.backend, keys: Object.keys(live.keys).sort()}
    const keys = want ? keyChanges(want, live, options.rotate, options.now) : undefined
    const afterKeys = keys
      ? Object.keys(keys)
          .filter((k) => keys[k] !== 'removed')
          .sort()
      : before.keys
    const after: SecretView = {backend: to, keys: afterKeys}
    const reasons = keys ? describeKeyChanges(keys) : []
    const meta = input.backendMetadata.get(s.name)
    let drift = false
    if (meta && live.backendVersion !== null) {
      if (!meta.exists) {
        drift = true
        reasons.unshift(`drift: ${live.backend} no longer holds this secret (state recorded version ${live.backendVersion})`)
      } else if (meta.version !== live.backendVersion) {
        drift = true
        reasons.unshift(`drift: ${live.backend} holds version ${meta.version}, state recorded ${live.backendVersion}`)
      }
    }
    if (live.backend !== to) {
      reasons.unshift(`backend ${live.backend} → ${to}${s.keepSource ? ' (keeping the copy on ' + live.backend + ')' : ''}`)
      changes.push({
        address,
        kind: 'secret',
        name: s.name,
        action: 'move',
        phase,
        reason: reasons.join('; '),
        before,
        after,
        keys,
        from: live.backend,
        to,
        keepSource: s.keepSource,
        ...(drift ? {drift} : {}),
      })
    } else if (reasons.length) {
      changes.push({
        address,
        kind: 'secret',
        name: s.name,
        action: 'update',
        phase,
        reason: reasons.join('; '),
        before,
        after,
        keys,
        ...(drift ? {drift} : {}),
      })
    }
  }
  if (placementErrors.length) {
    throw new PlanError(
      placementErrors.join('\n'),
      'give the secret a data source (fromEnv, fromFile, envFile, generate) so secretctl can create it, or create it first',
    )
  }

  // Secrets in the state that the manifests no longer name.
  const desiredSecretNames = new Set(desired.secrets.map((s) => s.name))
  for (const live of input.secrets) {
    if (desiredSecretNames.has(live.name)) continue
    if (options.prune) {
      changes.push({
        address: secretAddress(live.name),
        kind: 'secret',
        name: live.name,
        action: 'delete',
        phase: Phase.SecretDeletes,
        reason: `not in the manifests (--prune); deletes the value on ${live.backend}`,
        before: {backend: live.backend, keys: Object.keys(live.keys).sort()},
        after: null,
      })
    } else warnings.push(`secret ${live.name} is in the state but not in the manifests; apply with --prune to delete it`)
  }
  for (const live of input.backends) {
    if (desiredBackendNames.has(live.name)) continue
    if (options.prune) {
      changes.push({
        address: backendAddress(live.name),
        kind: 'backend',
        name: live.name,
        action: 'delete',
        phase: Phase.BackendDeletes,
        reason: 'not in the manifests (--prune)',
        before: backendView(live),
        after: null,
      })
    } else warnings.push(`backend ${live.name} is in the state but not in the manifests; apply with --prune to delete it`)
  }

  const selected = selectTargets(sortChanges(changes), options.targets, desired)
  checkBackendDeletes(selected, input.secrets)
  return {
    formatVersion: FORMAT_VERSION,
    lineage: input.meta.lineage,
    serial: input.meta.serial,
    manifestsDigest: desired.digest,
    sourceFingerprints: flattenFingerprints(input.desiredKeys),
    options: {prune: options.prune, rotate: options.rotate, targets: [...options.targets].sort()},
    changes: selected,
    summary: summarise(selected),
    warnings: warnings.sort(),
  }
}

export function tokenRotation(backend: string, reason: string): Change {
  return {
    address: `${backendAddress(backend)}.token`,
    kind: 'token',
    name: backend,
    action: 'rotate',
    phase: Phase.Tokens,
    reason,
    before: null,
    after: null,
  }
}

function flattenFingerprints(desiredKeys: Map<string, Map<string, DesiredKey>>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of [...desiredKeys.keys()].sort()) {
    const keys = desiredKeys.get(name)!
    for (const key of [...keys.keys()].sort()) {
      const fp = keys.get(key)!.fingerprint
      if (fp) out[`${secretAddress(name)}/${key}`] = fp
    }
  }
  return out
}

/** Does `address` fall under a `--target`? A target names an address or any address below it. */
export function matchesTarget(address: string, target: string): boolean {
  return address === target || address.startsWith(target + '.')
}

/**
 * Keeps the targeted changes plus what they need: a targeted secret brings the change to the
 * backend it lands on and that backend's trust-root secret (as Terraform includes dependencies).
 */
function selectTargets(changes: Change[], targets: string[], desired: DesiredModel): Change[] {
  if (!targets.length) return changes
  const wanted = new Set<string>()
  for (const c of changes) if (targets.some((t) => matchesTarget(c.address, t))) wanted.add(c.address)
  const byName = new Map(desired.backends.map((b) => [b.name, b]))
  let grew = true
  while (grew) {
    grew = false
    for (const c of changes) {
      if (!wanted.has(c.address)) continue
      const deps: string[] = []
      if (c.kind === 'secret' && c.after) deps.push(backendAddress((c.after as SecretView).backend))
      if (c.kind === 'backend') {
        const ref = byName.get(c.name)?.config.tokenSecretRef as {name?: string} | undefined
        if (ref?.name) deps.push(secretAddress(ref.name))
      }
      for (const d of deps) {
        if (!wanted.has(d) && changes.some((x) => x.address === d && x.action !== 'delete')) {
          wanted.add(d)
          grew = true
        }
      }
    }
  }
  return changes.filter((c) => wanted.has(c.address))
}

/** A backend delete is refused at plan time while a secret would still be on it afterwards. */
function checkBackendDeletes(changes: Change[], secrets: SecretRecord[]): void {
  for (const c of changes) {
    if (c.kind !== 'backend' || c.action !== 'delete') continue
    if (c.name === DEFAULT_BACKEND) throw new PlanError('the plaintext backend default is the trust root and cannot be deleted')
    const leaving = new Set(
      changes
        .filter((x) => x.kind === 'secret' && (x.action === 'delete' || (x.action === 'move' && x.from === c.name)))
        .map((x) => x.name),
    )
    const remaining = secrets.filter((s) => s.backend === c.name && !leaving.has(s.name)).map((s) => s.name)
    if (remaining.length) {
      throw new PlanError(
        `cannot delete backend ${c.name}: ${remaining.length} secret${remaining.length === 1 ? '' : 's'} still on it (${remaining.slice(0, 5).join(', ')}${remaining.length > 5 ? ', …' : ''})`,
        'move those secrets to another backend or delete them (apply with --prune) in the same or an earlier apply',
      )
    }
  }
}
