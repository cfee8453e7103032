/**
 * Gathers what computePlan needs from a workspace: the state's records, the fingerprints of the
 * sourced values (salted with the state's salt) and, for versioned backends, each secret's metadata
 * version. Planning reads metadata only, with one exception: a secret that drifted is read (when the
 * token may) so the plan can say which keys changed outside secretctl; its values stay in memory.
 */
import pLimit, {type LimitFunction} from 'p-limit'
import type {Workspace} from '../workspace/workspace.js'
import {computePlan, placementOf, type DesiredKey} from './compute-plan.js'
import {secretAddress} from './addresses.js'
import type {Plan} from './types.js'
import type {BackendManifest, SecretManifest} from '../manifests/types.js'
import type {BackendDriver, SecretMetadata, SecretRefs} from '../backends/driver.js'
import {recordedRefs} from '../backends/secret-refs.js'
import {BackendError} from '../errors.js'
import {rotateEveryOf} from '../sources/resolve-values.js'
import {kindOf} from '../backends/registry.js'
import {tokenSecretRef} from '../backends/trust-root.js'
import type {SecretRecord} from '../state/types.js'
import {valueFingerprints} from '../state/keys-digest.js'
import {FewKeysMap} from '../sources/few-keys-map.js'

export interface PlanOptions {
  prune?: boolean
  rotate?: boolean
  targets?: string[]
  now?: Date
}

export async function desiredFingerprints(ws: Workspace): Promise<Map<string, ReadonlyMap<string, DesiredKey>>> {
  const out = new Map<string, ReadonlyMap<string, DesiredKey>>()
  for (const secret of ws.desired.secrets) {
    const resolved = ws.values.get(secret.name)
    if (!resolved) continue
    const keys = new FewKeysMap<DesiredKey>()
    for (const [key, rv] of resolved) {
      if (rv.unknown) {
        const {cipherDigest, file, reason, declared} = rv.unknown
        keys.set(key, {source: rv.source, fingerprint: null, cipherDigest, unknown: {file, reason, ...(declared ? {declared} : {})}})
      } else if (rv.spec !== undefined) keys.set(key, {source: rv.source, fingerprint: null, rotateEvery: rotateEveryOf(rv)})
      else {
        const fingerprint = await ws.state.fingerprint(key, rv.value)
        keys.set(key, {source: rv.source, fingerprint, ...(rv.cipherDigest ? {cipherDigest: rv.cipherDigest} : {})})
      }
    }
    out.set(secret.name, keys)
  }
  return out
}

/** `secret.NAME/KEY` → fingerprint of every read source value: what a saved plan is checked against. */
export async function sourceFingerprints(ws: Workspace): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const [name, keys] of await desiredFingerprints(ws)) {
    for (const [key, k] of keys) if (k.fingerprint) out[`${secretAddress(name)}/${key}`] = k.fingerprint
  }
  return out
}

/**
 * `valuesRead` is called once the values' fingerprints are taken: planning reads no value after that
 * (an apply packs them outside the heap then, apply-manifests.ts).
 */
export async function makePlan(ws: Workspace, opts: PlanOptions = {}, valuesRead?: () => void): Promise<Plan> {
  const [meta, backends, secrets, retainedCopies] = await Promise.all([
    ws.state.meta(),
    ws.state.listBackends(),
    ws.state.listSecrets(),
    ws.state.listRetainedCopies(),
  ])
  const desiredKeys = await desiredFingerprints(ws)
  valuesRead?.()
  const declared = new Map(ws.desired.secrets.map((s) => [s.name, s]))
  const desiredNames = new Set(declared.keys())
  const backendMetadata = new Map<string, SecretMetadata>()
  const liveFingerprints = new Map<string, Record<string, string>>()
  const limit = pLimit(ws.concurrency)
  // Asked per secret, of a few backends.
  const marks = new Map<string, boolean>()
  const marksOwnership = (backend: string) => {
    let found = marks.get(backend)
    if (found === undefined) {
      const type = ws.desired.backends.find((b) => b.name === backend)?.type ?? backends.find((b) => b.name === backend)?.type
      found = type !== undefined && kindOf(type, backend).capabilities.marksOwnership === true
      marks.set(backend, found)
    }
    return found
  }
  const pruned = (s: SecretRecord) => opts.prune === true && !desiredNames.has(s.name) && marksOwnership(s.backend)
  const destinationMetadata = new Map<string, SecretMetadata>()
  // Per backend: the current copy of each secret on a versioned backend (drift; and on kinds that
  // mark ownership, what prune would delete), and what is at the destination of each create or
  // move onto a kind that marks ownership. A kind that answers many at once (one listing) does.
  const current = groupBy(
    secrets.filter((s) => (desiredNames.has(s.name) || pruned(s)) && s.backendVersion !== null),
    (s) => s.backend,
  )
  const destinations = groupBy(destinationChecks(ws, secrets, marksOwnership), (c) => c.backend.name)
  await Promise.all([
    ...[...current].map(async ([backend, rows]) => {
      const driver = await ws.drivers.get(backend)
      if (!driver.capabilities.versioned) return
      // Drift is about the copy the state recorded, found where the state says it is (its recorded refs).
      const found = await metadataOf(
        driver,
        rows.map((r) => ({name: r.name, refs: recordedRefs(r, driver.type)})),
        limit,
      )
      for (const r of rows) backendMetadata.set(r.name, found.get(r.name) as SecretMetadata)
      const drifted = rows.filter((r) => {
        const m = found.get(r.name)
        return desiredNames.has(r.name) && m?.exists && m.version !== r.backendVersion
      })
      await Promise.all(
        drifted.map((r) =>
          limit(async () => {
            // What it holds now is read as the manifests name it, when it stays on this backend.
            const secret = declared.get(r.name) as SecretManifest
            const refs = placementOf(secret, ws.desired) === r.backend ? secret.refs : recordedRefs(r, driver.type)
            const values = await driver.read(r.name, refs).catch((err: unknown) => {
              // A planner's token may read metadata only: the plan then says the version drifted, not which keys.
              if (err instanceof BackendError && err.forbidden) return undefined
              throw err
            })
            if (!values) return
            liveFingerprints.set(r.name, await valueFingerprints(ws.state, values))
          }),
        ),
      )
    }),
    ...[...destinations.values()].map(async (checks) => {
      const driver = await ws.drivers.declared((checks[0] as {backend: BackendManifest}).backend)
      const found = await metadataOf(
        driver,
        checks.map((c) => ({name: c.secret})),
        limit,
      )
      for (const c of checks) destinationMetadata.set(c.secret, found.get(c.secret) as SecretMetadata)
    }),
  ])
  return computePlan({
    desired: ws.desired,
    meta,
    backends,
    secrets,
    desiredKeys,
    backendMetadata,
    destinationMetadata,
    liveFingerprints,
    retainedCopies,
    options: {prune: opts.prune ?? false, rotate: opts.rotate ?? false, targets: opts.targets ?? [], now: opts.now ?? new Date()},
  })
}

/**
 * The creates and moves onto kinds that mark ownership: plan asks the destination what is there
 * (an object secretctl did not create is refused, or adopted). Skipped for a backend whose token
 * secret this apply creates (not in the state yet): its driver then refuses such an object itself.
 */
function destinationChecks(
  ws: Workspace,
  rows: SecretRecord[],
  marksOwnership: (backend: string) => boolean,
): Array<{secret: string; backend: BackendManifest}> {
  const live = new Map(rows.map((r) => [r.name, r]))
  const checks: Array<{secret: string; backend: BackendManifest}> = []
  for (const s of ws.desired.secrets) {
    const to = placementOf(s, ws.desired)
    if (live.get(s.name)?.backend === to || !marksOwnership(to)) continue
    const backend = ws.desired.backends.find((b) => b.name === to)
    if (!backend) continue
    const ref = tokenSecretRef(backend.config)
    if (ref && !live.has(ref.name)) continue
    checks.push({secret: s.name, backend})
  }
  return checks
}

/** Metadata of many secrets on one backend: in one listing where the driver can, else one request each within the bound. */
async function metadataOf(
  driver: BackendDriver,
  secrets: Array<{name: string; refs?: SecretRefs}>,
  limit: LimitFunction,
): Promise<Map<string, SecretMetadata>> {
  if (driver.metadataMany && secrets.length > 1 && secrets.every((s) => s.refs === undefined))
    return driver.metadataMany(secrets.map((s) => s.name))
  const found = await Promise.all(secrets.map((s) => limit(async () => [s.name, await driver.metadata(s.name, s.refs)] as const)))
  return new Map(found)
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>()
  for (const item of items) {
    const group = out.get(key(item))
    if (group) group.push(item)
    else out.set(key(item), [item])
  }
  return out
}
