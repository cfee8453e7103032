/**
 * Gathers what computePlan needs from a workspace: the state's records, the fingerprints of the
 * sourced values (salted with the state's salt) and, for versioned backends, each secret's metadata
 * version (metadata only: planning never reads a secret value).
 */
import pLimit from 'p-limit'
import type {Workspace} from './workspace.js'
import {computePlan, type DesiredKey} from '../plan/compute-plan.js'
import type {Plan} from '../plan/types.js'
import type {SecretMetadata} from '../backends/driver.js'

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
      if (rv.source === 'generate') keys.set(key, {source: 'generate', fingerprint: null, rotateEvery: rv.spec?.rotateEvery})
      else keys.set(key, {source: rv.source, fingerprint: await ws.state.fingerprint(key, rv.value!)})
    }
    out.set(secret.name, keys)
  }
  return out
}

export async function makePlan(ws: Workspace, opts: PlanOptions = {}): Promise<Plan> {
  const [meta, backends, secrets] = await Promise.all([ws.state.meta(), ws.state.listBackends(), ws.state.listSecrets()])
  const desiredKeys = await desiredFingerprints(ws)
  const desiredNames = new Set(ws.desired.secrets.map((s) => s.name))
  const backendMetadata = new Map<string, SecretMetadata>()
  const limit = pLimit(ws.concurrency)
  await Promise.all(
    secrets
      .filter((s) => desiredNames.has(s.name) && s.backendVersion !== null)
      .map((s) =>
        limit(async () => {
          const driver = await ws.drivers.get(s.backend)
          if (driver.capabilities.versioned) backendMetadata.set(s.name, await driver.metadata(s.name))
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
    options: {prune: opts.prune ?? false, rotate: opts.rotate ?? false, targets: opts.targets ?? [], now: opts.now ?? new Date()},
  })
}
