/**
 * Computes a Plan from the desired model (manifests, value fingerprints) and the live model (the
 * state, plus backend metadata versions for drift). Pure: no I/O, so the same inputs always give
 * the same, byte-identical plan. Values never enter here; only their salted fingerprints do.
 * What a backend's kind can do (read-only, versioned) is enforced here, for every kind alike.
 */
import type {DesiredModel, SecretManifest, BackendManifest} from '../manifests/types.js'
import type {BackendRecord, RetainedCopy, SecretRecord, StateMeta} from '../state/types.js'
import type {SecretMetadata} from '../backends/driver.js'
import type {BackendCapabilities} from '../backends/kind.js'
import {kindOf} from '../backends/registry.js'
import {DEFAULT_BACKEND, TRUST_ROOT_TYPE, tokenSecretRef} from '../backends/trust-root.js'
import {PlanError} from '../errors.js'
import {sourceFieldList} from '../sources/registry.js'
import {canonicalJson} from './canonical-json.js'
import {maskConfig} from './mask-config.js'
import {shareRepeated} from './share-repeated.js'
import {fieldChanges} from './field-changes.js'
import {parseDuration} from '../duration.js'
import {rotationDue} from '../rotation/token-health.js'
import {keysDigest} from '../state/keys-digest.js'
import {backendAddress, matchesTarget, secretAddress, tokenAddress} from './addresses.js'
import {
  FORMAT_VERSION,
  Phase,
  type BackendView,
  type Change,
  type KeyChange,
  type Plan,
  type PlanSummary,
  type SecretChange,
  type SecretUpdate,
  type SecretView,
  type TokenRotate,
  type UndecryptableFile,
} from './types.js'

export {backendAddress, matchesTarget, secretAddress} from './addresses.js'

/** What the plan knows of one desired key: its source and, for read values, the salted fingerprint. */
export interface DesiredKey {
  /** The source's kind (`env`, `file`, `generate`, …). */
  source: string
  /** null for a generated value (it does not exist until apply makes it), and for an unknown one. */
  fingerprint: string | null
  rotateEvery?: string
  /** SHA-256 of the value's ciphertext, for values read from encrypted files. */
  cipherDigest?: string
  /** Set when the value could not be decrypted here (`--allow-undecryptable`): it is planned from `cipherDigest`. */
  unknown?: {file: string; reason: string; declared?: {at: string; field: string}}
}

export interface PlanInput {
  desired: DesiredModel
  meta: StateMeta
  backends: BackendRecord[]
  secrets: SecretRecord[]
  /** secret name → key → desired key; absent for placement-only secrets. */
  desiredKeys: Map<string, ReadonlyMap<string, DesiredKey>>
  /** secret name → metadata read from its current backend, for versioned backends only. */
  backendMetadata: Map<string, SecretMetadata>
  /** secret name → metadata at the destination of a create or move, for kinds that mark ownership only. */
  destinationMetadata?: Map<string, SecretMetadata>
  /** For drifted secrets whose value could be read: key → fingerprint of what the backend holds now. */
  liveFingerprints?: Map<string, Record<string, string>>
  /** Copies left on other backends: by `keepSource` moves, or by a move interrupted before its source delete. */
  retainedCopies?: RetainedCopy[]
  options: {prune: boolean; rotate: boolean; targets: string[]; now: Date}
}

/** The backend secrets without `backend:` go to: the one marked isDefault, else `default`. */
export function desiredDefaultBackend(desired: DesiredModel): string {
  return desired.backends.find((b) => b.isDefault)?.name ?? DEFAULT_BACKEND
}

export function placementOf(secret: SecretManifest, desired: DesiredModel): string {
  return secret.backend ?? desiredDefaultBackend(desired)
}

/** Names of the secrets backends authenticate with: the trust root. */
export function trustRootSecretNames(desired: DesiredModel): Set<string> {
  return new Set(desired.backends.map((b) => tokenSecretRef(b.config)?.name).filter((n): n is string => n !== undefined))
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

/** What a secret's backend says about the copy the state recorded. */
interface Drift {
  /** `drift: bao holds version 4, state recorded 3`. */
  reason: string
  /** The backend no longer holds the secret at all. */
  gone: boolean
  /** key → fingerprint of what it holds now, when that could be read. */
  live?: Record<string, string>
}

/** What is to be done about an object at a secret's place that secretctl does not own. */
interface Ownership {
  /** Apply fails the change, touching nothing. */
  refused?: string
  /** Said in the reason: the secret adopts the object. */
  note?: string
}

/** An object secretctl did not create, where a secret is to be written: refused, or adopted when the secret says `adopt: true`. */
function ownershipAt(meta: SecretMetadata | undefined, s: SecretManifest, backend: string): Ownership {
  if (!meta?.exists || meta.owned !== false) return {}
  const what = `${backend} holds ${meta.ref ? `${meta.ref}, ` : ''}an object secretctl did not create`
  if (s.adopt) return {note: `adopts what ${what} (adopt: true)`}
  return {refused: `refused: ${what}; it is never overwritten (set adopt: true on the secret to take it over)`}
}

function keyChanges(
  desiredKeys: ReadonlyMap<string, DesiredKey>,
  live: SecretRecord | undefined,
  drift: Drift | undefined,
  rotate: boolean,
  now: Date,
) {
  const out: Record<string, KeyChange> = {}
  /** Keys whose value on the backend differs from the record: restored from their source, or generated anew. */
  const repaired: string[] = []
  /** Keys whose value is as recorded but whose ciphertext is not: the state is to record the new digest. */
  const reencrypted: string[] = []
  const recorded = live?.keys ?? {}
  for (const key of [...desiredKeys.keys()].sort()) {
    const want = desiredKeys.get(key) as DesiredKey
    const have = recorded[key]
    const tampered = drift !== undefined && (drift.gone || (drift.live !== undefined && drift.live[key] !== have?.fingerprint))
    if (!have) out[key] = 'added'
    else if (want.unknown) {
      // An unchanged ciphertext is an unchanged value (authenticated encryption); anything else may have changed.
      out[key] = want.cipherDigest !== undefined && want.cipherDigest === have.cipherDigest && !tampered ? 'unchanged' : 'unknown'
    } else if (want.fingerprint === null) {
      const every = want.rotateEvery ? parseDuration(want.rotateEvery) : null
      const due = rotate && every !== null && now.getTime() - Date.parse(have.writtenAt) >= every
      if (tampered && !due) repaired.push(key)
      out[key] = due || tampered ? 'regenerated' : 'unchanged'
    } else if (want.fingerprint !== have.fingerprint) out[key] = 'changed'
    else {
      if (tampered) repaired.push(key)
      else if (want.cipherDigest !== undefined && want.cipherDigest !== have.cipherDigest) reencrypted.push(key)
      out[key] = tampered ? 'changed' : 'unchanged'
    }
  }
  for (const key of Object.keys(recorded).sort()) if (!desiredKeys.has(key)) out[key] = 'removed'
  return {keys: out, repaired, reencrypted}
}

/** A change's reason: the refusal (if any), then the reasons, in one line. */
function joinReasons(refused: string | undefined, reasons: string[]): string {
  return [refused, ...reasons].filter(Boolean).join('; ')
}

/** The keys with change `c`, not among `repaired`. A function rather than a closure made per secret (the bundle names each closure it makes). */
function keysWith(keys: Record<string, KeyChange>, c: KeyChange, repaired: string[]): string[] {
  return Object.keys(keys).filter((k) => keys[k] === c && !repaired.includes(k))
}

function describeKeyChanges(keys: Record<string, KeyChange>, repaired: string[], backend: string): string[] {
  const parts: string[] = []
  const changed = keysWith(keys, 'changed', repaired)
  if (changed.length) parts.push(`value of ${changed.join(', ')} changed`)
  const added = keysWith(keys, 'added', repaired)
  if (added.length) parts.push(`key${added.length > 1 ? 's' : ''} ${added.join(', ')} added`)
  const removed = keysWith(keys, 'removed', repaired)
  if (removed.length) parts.push(`key${removed.length > 1 ? 's' : ''} ${removed.join(', ')} removed`)
  const regen = keysWith(keys, 'regenerated', repaired)
  if (regen.length) parts.push(`${regen.join(', ')} due for regeneration`)
  const unknown = keysWith(keys, 'unknown', repaired)
  if (unknown.length)
    parts.push(
      `value of ${unknown.join(', ')} possibly changed: ${unknown.length > 1 ? 'their ciphertexts are not the ones' : 'its ciphertext is not the one'} last applied, and cannot be decrypted here`,
    )
  const restored = repaired.filter((k) => keys[k] === 'changed')
  if (restored.length)
    parts.push(
      `${restored.join(', ')} changed on ${backend} outside secretctl: written again from ${restored.length > 1 ? 'their sources' : 'its source'}`,
    )
  const regenerated = repaired.filter((k) => keys[k] === 'regenerated')
  if (regenerated.length) parts.push(`generated ${regenerated.join(', ')} changed on ${backend} outside secretctl: generated anew`)
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

const byName = <T extends {name: string}>(x: T, y: T) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)

export function computePlan(input: PlanInput): Plan {
  const {desired, options} = input
  const changes: Change[] = []
  const warnings: string[] = []
  const liveBackends = new Map(input.backends.map((b) => [b.name, b]))
  const liveSecrets = new Map(input.secrets.map((s) => [s.name, s]))
  const defaultName = desiredDefaultBackend(desired)
  const trustRoot = trustRootSecretNames(desired)
  const desiredBackendNames = new Set([DEFAULT_BACKEND, ...desired.backends.map((b) => b.name)])
  const declaredType = new Map(desired.backends.map((b) => [b.name, b.type]))
  // Asked several times per secret, of a few backends.
  const capabilitiesOf = new Map<string, BackendCapabilities>()
  const capabilities = (backend: string): BackendCapabilities => {
    let found = capabilitiesOf.get(backend)
    if (!found) {
      found = kindOf(declaredType.get(backend) ?? liveBackends.get(backend)?.type ?? TRUST_ROOT_TYPE, backend).capabilities
      capabilitiesOf.set(backend, found)
    }
    return found
  }

  // Backends: create or update, then the default switch.
  for (const b of [...desired.backends].sort(byName)) {
    const live = liveBackends.get(b.name)
    const wanted = {
      type: b.type,
      description: b.description ?? null,
      isDefault: b.name === defaultName,
      config: b.config,
      rotation: b.rotation ?? null,
    }
    const after = backendView(wanted)
    const address = backendAddress(b.name)
    if (!live) {
      changes.push({
        address,
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
      const fields = fieldChanges(live, wanted)
      changes.push({
        address,
        kind: 'backend',
        name: b.name,
        action: 'update',
        phase: Phase.Backends,
        reason: reasons.join('; '),
        before: backendView(live),
        after,
        fields,
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
    for (const b of [...desired.backends].sort(byName)) {
      if (!b.rotation) continue
      const due = rotationDue(liveBackends.get(b.name)?.tokenMeta ?? null, b.rotation, options.now)
      if (due.due) changes.push(tokenRotation(b.name, due.reason))
    }
  }

  // Secrets: create, update, move.
  const placementErrors: string[] = []
  const readOnlyErrors: string[] = []
  const retained = input.retainedCopies ?? []
  for (const s of [...desired.secrets].sort(byName)) {
    const live = liveSecrets.get(s.name)
    const to = placementOf(s, desired)
    const phase = trustRoot.has(s.name) ? Phase.TrustRootSecrets : Phase.Secrets
    const address = secretAddress(s.name)
    const want = input.desiredKeys.get(s.name)
    const where = `${s.at.file}:${s.at.line}:${s.at.column}`
    if (!live) {
      // A placement-only secret on a read-only backend is recorded: the apply reads it once for its version and fingerprints.
      const recordOnly = (s.placementOnly || !want) && capabilities(to).readOnly
      if (!recordOnly && (s.placementOnly || !want)) {
        placementErrors.push(`${where}: secret ${s.name} is placement-only (no data sources) but does not exist in the state`)
        continue
      }
      if (!recordOnly && capabilities(to).readOnly) {
        readOnlyErrors.push(`${where}: secret ${s.name} would be created on ${to}, which is read-only`)
        continue
      }
      const keys = want && !recordOnly ? keyChanges(want, undefined, undefined, options.rotate, options.now).keys : undefined
      const names = Object.keys(keys ?? s.refs ?? {}).sort()
      const owner = ownershipAt(input.destinationMetadata?.get(s.name), s, to)
      const created = recordOnly
        ? `records the secret ${to} holds (read-only: read at apply, nothing written)`
        : `new secret on ${to} (${names.length} key${names.length === 1 ? '' : 's'})`
      if (owner.refused) warnings.push(`${address}: ${owner.refused}`)
      changes.push({
        address,
        kind: 'secret',
        name: s.name,
        action: 'create',
        phase,
        reason: [owner.refused, created, owner.note].filter(Boolean).join('; '),
        before: null,
        after: {backend: to, keys: names},
        ...(recordOnly ? {recordOnly} : {keys}),
        ...(s.adopt ? {adopt: true} : {}),
        ...(owner.refused ? {refused: owner.refused} : {}),
      })
      continue
    }
    const before: SecretView = {backend: live.backend, keys: Object.keys(live.keys).sort()}
    const currentMeta = input.backendMetadata.get(s.name)
    const drift = driftOf(live, currentMeta, input.liveFingerprints?.get(s.name))
    const computed = want ? keyChanges(want, live, drift, options.rotate, options.now) : undefined
    const keys = computed?.keys
    const afterKeys = keys
      ? Object.keys(keys)
          .filter((k) => keys[k] !== 'removed')
          .sort()
      : before.keys
    const after: SecretView = {backend: to, keys: afterKeys}
    const reasons = computed ? describeKeyChanges(computed.keys, computed.repaired, live.backend) : []
    if (drift) {
      reasons.unshift(drift.reason)
      if (drift.gone && !want)
        reasons.push(
          `it has no value sources: restore it with \`secretctl secret set ${s.name} KEY\`, or forget it with \`secretctl state rm ${address}\``,
        )
      else if (drift.gone) reasons.push('written again from its sources')
      else if (drift.live && Object.values(computed?.keys ?? {}).every((k) => k === 'unchanged'))
        reasons.push('its values are as secretctl wrote them: written again')
    }
    const owner = ownershipAt(live.backend === to ? currentMeta : input.destinationMetadata?.get(s.name), s, to)
    if (owner.note) reasons.push(owner.note)
    if (owner.refused) warnings.push(`${address}: ${owner.refused}`)
    const extras = {
      keys,
      ...(drift ? {drift: true} : {}),
      ...(s.adopt ? {adopt: true} : {}),
      ...(owner.refused ? {refused: owner.refused} : {}),
    }
    if (live.backend === to && !want && capabilities(to).readOnly) {
      const record = recordChange(s, live, before, drift, input.liveFingerprints?.get(s.name), warnings)
      if (record) changes.push({address, kind: 'secret', name: s.name, action: 'update', phase, ...record})
      continue
    }
    if (live.backend !== to) {
      if (capabilities(to).readOnly) {
        readOnlyErrors.push(`${where}: secret ${s.name} would move onto ${to}, which is read-only`)
        continue
      }
      // A read-only source is never deleted: the move copies. Nor is an object secretctl does not own.
      const foreignSource = currentMeta?.exists === true && currentMeta.owned === false
      const keepSource = s.keepSource || capabilities(live.backend).readOnly || foreignSource
      const why = s.keepSource ? '' : capabilities(live.backend).readOnly ? ': read-only' : ': secretctl did not create it'
      const keeping = keepSource ? ` (keeping the copy on ${live.backend}${why})` : ''
      reasons.unshift(`backend ${live.backend} → ${to}${owner.refused ? '' : keeping}`)
      changes.push({
        address,
        kind: 'secret',
        name: s.name,
        action: 'move',
        phase,
        reason: joinReasons(owner.refused, reasons),
        before,
        after,
        from: live.backend,
        to,
        keepSource,
        ...extras,
      })
    } else if (!reasons.length && !owner.refused && computed?.reencrypted.length) {
      const n = computed.reencrypted.length
      const reason = `${computed.reencrypted.join(', ')} re-encrypted with ${n > 1 ? 'their values' : 'its value'} unchanged: the state records the new ciphertext digest${n > 1 ? 's' : ''} (nothing is written to ${to})`
      changes.push({address, kind: 'secret', name: s.name, action: 'update', phase, reason, before, after, keys, digestsOnly: true})
    } else if (reasons.length || owner.refused) {
      if (capabilities(to).readOnly && keys && Object.values(keys).some((k) => k !== 'unchanged')) {
        readOnlyErrors.push(`${where}: secret ${s.name} on ${to} would change, but ${to} is read-only`)
        continue
      }
      changes.push({
        address,
        kind: 'secret',
        name: s.name,
        action: 'update',
        phase,
        reason: joinReasons(owner.refused, reasons),
        before,
        after,
        ...extras,
      })
    }
  }
  if (placementErrors.length) {
    throw new PlanError(
      placementErrors.join('\n'),
      `give the secret a data source (${sourceFieldList()}) so secretctl can create it, or set its values with \`secretctl secret set NAME KEY\` once its backend is in the state (\`secretctl apply --target backend.NAME\`)`,
    )
  }
  if (readOnlyErrors.length) {
    throw new PlanError(readOnlyErrors.join('\n'), 'secretctl never writes to a read-only backend: place the secret on another backend')
  }

  // Copies a move left behind while it was interrupted before deleting its source: finish the job.
  for (const copy of retained.filter((r) => r.pending && liveSecrets.has(r.secretName))) {
    const live = liveSecrets.get(copy.secretName) as SecretRecord
    const view: SecretView = {backend: live.backend, keys: Object.keys(live.keys).sort()}
    changes.push({
      address: secretAddress(copy.secretName),
      kind: 'secret',
      name: copy.secretName,
      action: 'delete',
      phase: Phase.SecretDeletes,
      reason: `delete the copy left on ${copy.backend} by an interrupted move (the secret stays on ${live.backend})`,
      before: view,
      after: view,
      copies: [copy.backend],
    })
  }

  // Secrets in the state that the manifests no longer name.
  const orphans = {secrets: [] as string[], backends: [] as string[]}
  const desiredSecretNames = new Set(desired.secrets.map((s) => s.name))
  for (const live of input.secrets) {
    if (desiredSecretNames.has(live.name)) continue
    if (options.prune) {
      const forgetOnly = capabilities(live.backend).readOnly
      const meta = input.backendMetadata.get(live.name)
      const refused =
        meta?.exists && meta.owned === false
          ? `refused: ${live.backend} holds ${meta.ref ? `${meta.ref}, ` : ''}an object secretctl did not create (or no longer marks as its own); it is never deleted (forget the record with \`secretctl state rm ${secretAddress(live.name)}\`)`
          : undefined
      if (refused) warnings.push(`${secretAddress(live.name)}: ${refused}`)
      const reason = refused
        ? `${refused}; not in the manifests (--prune)`
        : forgetOnly
          ? `not in the manifests (--prune); forgets the record, the value stays on ${live.backend} (read-only)`
          : `not in the manifests (--prune); deletes the value on ${live.backend}`
      const before = {backend: live.backend, keys: Object.keys(live.keys).sort()}
      changes.push({
        address: secretAddress(live.name),
        kind: 'secret',
        name: live.name,
        action: 'delete',
        phase: Phase.SecretDeletes,
        reason,
        before,
        after: null,
        ...(forgetOnly ? {forgetOnly} : {}),
        ...(refused ? {refused} : {}),
      })
    } else {
      orphans.secrets.push(live.name)
      warnings.push(`secret ${live.name} is in the state but not in the manifests; apply with --prune to delete it`)
    }
  }
  for (const live of input.backends) {
    if (desiredBackendNames.has(live.name)) continue
    if (options.prune) {
      const copies = retained
        .filter((r) => r.backend === live.name)
        .map((r) => r.secretName)
        .sort()
      const what = capabilities(live.name).readOnly ? 'forgets' : 'deletes'
      const reason = copies.length
        ? `not in the manifests (--prune); first ${what} the cop${copies.length === 1 ? 'y' : 'ies'} of ${copies.join(', ')} kept there`
        : 'not in the manifests (--prune)'
      changes.push({
        address: backendAddress(live.name),
        kind: 'backend',
        name: live.name,
        action: 'delete',
        phase: Phase.BackendDeletes,
        reason,
        before: backendView(live),
        after: null,
        ...(copies.length ? {retainedCopies: copies} : {}),
      })
    } else {
      orphans.backends.push(live.name)
      warnings.push(`backend ${live.name} is in the state but not in the manifests; apply with --prune to delete it`)
    }
  }

  const undecryptable = undecryptableFiles(input.desiredKeys)
  const selected = shareRepeated(selectTargets(sortChanges(changes), options.targets, desired))
  checkBackendDeletes(selected, input.secrets)
  return {
    formatVersion: FORMAT_VERSION,
    ...(desired.environment ? {environment: desired.environment.name} : {}),
    lineage: input.meta.lineage,
    serial: input.meta.serial,
    manifestsDigest: desired.digest,
    sourceFingerprints: flattenFingerprints(input.desiredKeys),
    options: {prune: options.prune, rotate: options.rotate, targets: [...options.targets].sort()},
    changes: selected,
    summary: summarise(selected),
    warnings: [...warnings, ...undecryptable.map(undecryptableWarning)].sort(),
    ...(orphans.secrets.length || orphans.backends.length
      ? {orphans: {secrets: orphans.secrets.sort(), backends: orphans.backends.sort()}}
      : {}),
    ...(undecryptable.length ? {undecryptable} : {}),
  }
}

/** The value files that could not be decrypted, each with the keys planned from their ciphertexts and where the manifests name them. */
function undecryptableFiles(desiredKeys: Map<string, ReadonlyMap<string, DesiredKey>>): UndecryptableFile[] {
  // Usually none: found without sorting every secret's name and keys.
  if (!anyUnknown(desiredKeys)) return []
  const byFile = new Map<string, UndecryptableFile>()
  for (const name of [...desiredKeys.keys()].sort()) {
    const keys = desiredKeys.get(name) as ReadonlyMap<string, DesiredKey>
    for (const key of [...keys.keys()].sort()) {
      const unknown = keys.get(key)?.unknown
      if (!unknown) continue
      const entry = byFile.get(unknown.file) ?? {file: unknown.file, reason: unknown.reason, keys: {}}
      byFile.set(unknown.file, entry)
      entry.keys[`${secretAddress(name)}/${key}`] = unknown.declared ? `${unknown.declared.at} ${unknown.declared.field}` : ''
    }
  }
  return [...byFile.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
}

function anyUnknown(desiredKeys: Map<string, ReadonlyMap<string, DesiredKey>>): boolean {
  for (const keys of desiredKeys.values()) for (const k of keys.values()) if (k.unknown) return true
  return false
}

function undecryptableWarning(u: UndecryptableFile): string {
  const keys = Object.keys(u.keys)
  const shown = keys.slice(0, 5).join(', ') + (keys.length > 5 ? `, … (${keys.length} keys)` : '')
  return `could not decrypt ${u.file}, so ${shown} ${keys.length > 1 ? 'are' : 'is'} planned from the ciphertext (a changed ciphertext is a possible change): ${u.reason}`
}

/**
 * A placement-only secret on a read-only backend: recorded again (nothing written) when the
 * backend's copy drifted or its refs changed; a copy gone from there is a warning, since
 * secretctl cannot put it back. Undefined: nothing to do.
 */
function recordChange(
  s: SecretManifest,
  live: SecretRecord,
  before: SecretView,
  drift: Drift | undefined,
  liveFingerprints: Record<string, string> | undefined,
  warnings: string[],
): Pick<SecretUpdate, 'reason' | 'before' | 'after' | 'recordOnly' | 'drift'> | undefined {
  if (drift?.gone) {
    warnings.push(
      `secret ${s.name}: ${drift.reason}; ${live.backend} is read-only, so secretctl cannot restore it: restore it there, or forget it with \`secretctl state rm ${secretAddress(s.name)}\``,
    )
    return undefined
  }
  const refs = changedRefs(s.refs, live)
  if (!drift && !refs.length) return undefined
  const reasons = [...(drift ? [drift.reason] : []), ...(refs.length ? [`refs of ${refs.join(', ')} changed`] : [])]
  reasons.push(`records what ${live.backend} holds now (read-only: nothing is written)`)
  const keys = s.refs ? Object.keys(s.refs) : liveFingerprints ? Object.keys(liveFingerprints) : before.keys
  return {
    reason: reasons.join('; '),
    before,
    after: {backend: live.backend, keys: [...keys].sort()},
    recordOnly: true,
    ...(drift ? {drift: true} : {}),
  }
}

/** Keys whose ref as declared differs from the one recorded (added and removed keys included); none when the secret declares no refs. */
function changedRefs(declared: Record<string, string | null> | undefined, live: SecretRecord): string[] {
  if (!declared) return []
  const keys = new Set([...Object.keys(declared), ...Object.keys(live.keys)])
  return [...keys].filter((k) => !(k in declared) || !live.keys[k] || (declared[k] ?? null) !== (live.keys[k].ref ?? null)).sort()
}

/** The drift of a secret on a versioned backend, or undefined when its copy is as recorded. */
function driftOf(
  live: SecretRecord,
  meta: SecretMetadata | undefined,
  fingerprints: Record<string, string> | undefined,
): Drift | undefined {
  if (!meta || live.backendVersion === null) return undefined
  if (!meta.exists) {
    return {reason: `drift: ${live.backend} no longer holds this secret (state recorded version ${live.backendVersion})`, gone: true}
  }
  if (meta.version === live.backendVersion) return undefined
  return {
    reason: `drift: ${live.backend} holds version ${meta.version}, state recorded ${live.backendVersion}${fingerprintNote(live, meta)}`,
    gone: false,
    ...(fingerprints ? {live: fingerprints} : {}),
  }
}

/** What the fingerprint a kind keeps on the object says, when it is not the state's. */
function fingerprintNote(live: SecretRecord, meta: SecretMetadata): string {
  if (meta.fingerprint === undefined) return ''
  if (meta.fingerprint === null) return ' (it no longer carries the fingerprint secretctl wrote)'
  const recorded = keysDigest(Object.fromEntries(Object.entries(live.keys).map(([k, r]) => [k, r.fingerprint])))
  return meta.fingerprint === recorded
    ? ''
    : " (its fingerprint of the data is not the state's: another secretctl state wrote it, or it was edited)"
}

/** A plan of one token rotation, asked for by name (`rotate backend`), whatever the token's age. */
export function tokenRotationPlan(meta: StateMeta, manifestsDigest: string, backend: string): Plan {
  const change = tokenRotation(backend, 'rotation requested')
  return {
    formatVersion: FORMAT_VERSION,
    lineage: meta.lineage,
    serial: meta.serial,
    manifestsDigest,
    sourceFingerprints: {},
    options: {prune: false, rotate: true, targets: [change.address]},
    changes: [change],
    summary: summarise([change]),
    warnings: [],
  }
}

export function tokenRotation(backend: string, reason: string): TokenRotate {
  return {
    address: tokenAddress(backend),
    kind: 'token',
    name: backend,
    action: 'rotate',
    phase: Phase.Tokens,
    reason,
    before: null,
    after: null,
  }
}

function flattenFingerprints(desiredKeys: Map<string, ReadonlyMap<string, DesiredKey>>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of [...desiredKeys.keys()].sort()) {
    const keys = desiredKeys.get(name) as ReadonlyMap<string, DesiredKey>
    for (const key of [...keys.keys()].sort()) {
      const fp = keys.get(key)?.fingerprint
      if (fp) out[`${secretAddress(name)}/${key}`] = fp
    }
  }
  return out
}

/**
 * Keeps the targeted changes plus what they need: a targeted secret brings the change to the
 * backend it lands on and that backend's trust-root secret (as Terraform includes dependencies).
 */
function selectTargets(changes: Change[], targets: string[], desired: DesiredModel): Change[] {
  if (!targets.length) return changes
  const wanted = new Set<string>()
  for (const c of changes) if (targets.some((t) => matchesTarget(c.address, t))) wanted.add(c.address)
  const declared = new Map(desired.backends.map((b) => [b.name, b]))
  let grew = true
  while (grew) {
    grew = false
    for (const c of changes) {
      if (!wanted.has(c.address)) continue
      const deps: string[] = []
      if (c.kind === 'secret' && c.after) deps.push(backendAddress(c.after.backend))
      if (c.kind === 'backend') {
        const ref = tokenSecretRef(declared.get(c.name)?.config ?? {})
        if (ref) deps.push(secretAddress(ref.name))
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
  const leavingFrom = (backend: string) =>
    new Set(
      changes
        .filter((x): x is SecretChange => x.kind === 'secret')
        .filter((x) => (x.action === 'delete' && !x.copies) || (x.action === 'move' && x.from === backend))
        .map((x) => x.name),
    )
  for (const c of changes) {
    if (c.kind !== 'backend' || c.action !== 'delete') continue
    if (c.name === DEFAULT_BACKEND)
      throw new PlanError(`the ${TRUST_ROOT_TYPE} backend ${DEFAULT_BACKEND} is the trust root and cannot be deleted`)
    const leaving = leavingFrom(c.name)
    const remaining = secrets.filter((s) => s.backend === c.name && !leaving.has(s.name)).map((s) => s.name)
    if (remaining.length) {
      throw new PlanError(
        `cannot delete backend ${c.name}: ${remaining.length} secret${remaining.length === 1 ? '' : 's'} still on it (${remaining.slice(0, 5).join(', ')}${remaining.length > 5 ? ', …' : ''})`,
        'move those secrets to another backend or delete them (apply with --prune) in the same or an earlier apply',
      )
    }
  }
}
