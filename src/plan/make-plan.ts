/**
 * Gathers what computePlan needs from a workspace: the state's records, the fingerprints of the
 * sourced values (salted with the state's salt) and, for versioned backends, each secret's metadata
 * version. Planning reads metadata only, with one exception: a secret that drifted is read (when the
 * token may) so the plan can say which keys changed outside secretctl; its values stay in memory.
 */
import pLimit from 'p-limit'
import type {Workspace} from '../workspace/workspace.js'
import {computePlan, placementOf, type DesiredKey} from './compute-plan.js'
import {secretAddress} from './addresses.js'
import type {Plan} from './types.js'
import type {BackendManifest} from '../manifests/types.js'
import type {SecretMetadata} from '../backends/driver.js'
import {BackendError} from '../errors.js'
import {rotateEveryOf} from '../sources/resolve-values.js'
import {kindOf} from '../backends/registry.js'
import {tokenSecretRef} from '../backends/trust-root.js'
import type {SecretRecord} from '../state/types.js'

export interface PlanOptions {
  prune?: boolean
  rotate?: boolean
  targets?: string[]
  now?: Date
}

export async function desiredFingerprints(ws: Workspace): Promise<Map<string, Map<string, DesiredKey>>> {
  const out = new Map<string, Map<string, DesiredKey>>()
  for (const secret of ws.desired.secrets) {
    const resolved = ws.values.get(secret.name)
    if (!resolved) continue
    const keys = new Map<string, DesiredKey>()
    for (const [key, rv] of resolved) {
      if (rv.value === undefined) keys.set(key, {source: rv.source, fingerprint: null, rotateEvery: rotateEveryOf(rv)})
      else keys.set(key, {source: rv.source, fingerprint: await ws.state.fingerprint(key, rv.value)})
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

export async function makePlan(ws: Workspace, opts: PlanOptions = {}): Promise<Plan> {
  const [meta, backends, secrets, retainedCopies] = await Promise.all([
    ws.state.meta(),
    ws.state.listBackends(),
    ws.state.listSecrets(),
    ws.state.listRetainedCopies(),
  ])
  const desiredKeys = await desiredFingerprints(ws)
  const desiredNames = new Set(ws.desired.secrets.map((s) => s.name))
  const backendMetadata = new Map<string, SecretMetadata>()
  const liveFingerprints = new Map<string, Record<string, string>>()
  const limit = pLimit(ws.concurrency)
  const marksOwnership = (backend: string) => {
    const type = ws.desired.backends.find((b) => b.name === backend)?.type ?? backends.find((b) => b.name === backend)?.type
    return type !== undefined && kindOf(type, backend).capabilities.marksOwnership === true
  }
  const pruned = (s: SecretRecord) => opts.prune === true && !desiredNames.has(s.name) && marksOwnership(s.backend)
  const destinationMetadata = new Map<string, SecretMetadata>()
  await Promise.all([
    ...secrets
      .filter((s) => (desiredNames.has(s.name) || pruned(s)) && s.backendVersion !== null)
      .map((s) =>
        limit(async () => {
          const driver = await ws.drivers.get(s.backend)
          if (!driver.capabilities.versioned) return
          const meta = await driver.metadata(s.name)
          backendMetadata.set(s.name, meta)
          if (!meta.exists || meta.version === s.backendVersion || !desiredNames.has(s.name)) return
          const values = await driver.read(s.name).catch((err: unknown) => {
            // A planner's token may read metadata only: the plan then says the version drifted, not which keys.
            if (err instanceof BackendError && err.forbidden) return undefined
            throw err
          })
          if (!values) return
          const fingerprints: Record<string, string> = {}
          for (const [key, value] of Object.entries(values)) fingerprints[key] = await ws.state.fingerprint(key, value)
          liveFingerprints.set(s.name, fingerprints)
        }),
      ),
    ...destinationChecks(ws, secrets, marksOwnership).map(({secret, backend}) =>
      limit(async () => {
        const driver = await ws.drivers.declared(backend)
        destinationMetadata.set(secret, await driver.metadata(secret))
      }),
    ),
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
