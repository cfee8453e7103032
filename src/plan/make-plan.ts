/**
 * Gathers what computePlan needs from a workspace: the state's records, the fingerprints of the
 * sourced values (salted with the state's salt) and, for versioned backends, each secret's metadata
 * version. Planning reads metadata only, with one exception: a secret that drifted is read (when the
 * token may) so the plan can say which keys changed outside secretctl; its values stay in memory.
 */
import pLimit from 'p-limit'
import type {Workspace} from '../workspace/workspace.js'
import {computePlan, placementOf, type DesiredKey} from './compute-plan.js'
import {recordedRefs} from '../backends/secret-refs.js'
import type {SecretManifest} from '../manifests/types.js'
import {secretAddress} from './addresses.js'
import type {Plan} from './types.js'
import type {SecretMetadata} from '../backends/driver.js'
import {BackendError} from '../errors.js'
import {rotateEveryOf} from '../sources/resolve-values.js'

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

export async function makePlan(ws: Workspace, opts: PlanOptions = {}): Promise<Plan> {
  const [meta, backends, secrets, retainedCopies] = await Promise.all([
    ws.state.meta(),
    ws.state.listBackends(),
    ws.state.listSecrets(),
    ws.state.listRetainedCopies(),
  ])
  const desiredKeys = await desiredFingerprints(ws)
  const declared = new Map(ws.desired.secrets.map((s) => [s.name, s]))
  const backendMetadata = new Map<string, SecretMetadata>()
  const liveFingerprints = new Map<string, Record<string, string>>()
  const limit = pLimit(ws.concurrency)
  await Promise.all(
    secrets
      .filter((s) => declared.has(s.name) && s.backendVersion !== null)
      .map((s) =>
        limit(async () => {
          const driver = await ws.drivers.get(s.backend)
          if (!driver.capabilities.versioned) return
          // Drift is about the copy the state recorded; what it holds now is read as the manifests name it.
          const recorded = recordedRefs(s, driver.type)
          const secret = declared.get(s.name) as SecretManifest
          const refs = placementOf(secret, ws.desired) === s.backend ? secret.refs : recorded
          const meta = await driver.metadata(s.name, recorded)
          backendMetadata.set(s.name, meta)
          if (!meta.exists || meta.version === s.backendVersion) return
          const values = await driver.read(s.name, refs).catch((err: unknown) => {
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
  )
  return computePlan({
    desired: ws.desired,
    meta,
    backends,
    secrets,
    desiredKeys,
    backendMetadata,
    liveFingerprints,
    retainedCopies,
    options: {prune: opts.prune ?? false, rotate: opts.rotate ?? false, targets: opts.targets ?? [], now: opts.now ?? new Date()},
  })
}
