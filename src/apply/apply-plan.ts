/**
 * Executes a Plan in DESIGN's order and records every outcome in the audit table. Secrets move one
 * at a time each (read → write destination → flip the row in one transaction → delete the source),
 * independent secrets concurrently up to a bound, so an interruption anywhere leaves the row naming
 * a backend that holds a good copy and a re-run finishes the job.
 */
import {randomUUID} from 'node:crypto'
import pLimit from 'p-limit'
import type {Change, Plan, SecretView} from '../plan/types.js'
import {FORMAT_VERSION, Phase} from '../plan/types.js'
import type {DesiredModel} from '../manifests/types.js'
import type {KeyRecord, SecretRecord, SecretValues, StateStore} from '../state/types.js'
import type {DriverPool} from '../backends/driver-pool.js'
import type {BackendDriver, WriteResult} from '../backends/driver.js'
import {BackendError} from '../errors.js'
import type {ResolvedValues} from '../sources/resolve-values.js'
import {generateValue} from '../sources/generate-value.js'
import type {ApplyResult, ChangeOutcome, Outcome} from './types.js'
import {describeError} from './describe-error.js'
import {rotateBackendToken} from '../rotation/rotate-token.js'

export interface ApplyContext {
  state: StateStore
  desired: DesiredModel
  /** Values from the manifests' sources, resolved for this run. */
  values: ResolvedValues
  drivers: DriverPool
  actor: string
  /** Bound on backend requests in flight; secrets in progress are a multiple of it. */
  concurrency: number
  now?: () => Date
  /** Called as each change finishes, for progress output. */
  onOutcome?: (o: ChangeOutcome) => void
}

/**
 * Secrets in progress per backend request allowed in flight. Requests stay bounded by
 * `concurrency` (each driver's client enforces it); the secrets between their request and their
 * commit wait for the next group commit, and a deeper pipeline makes those groups larger instead
 * of leaving the backend idle while they wait (docs/performance.md).
 */
const SECRETS_PER_REQUEST_SLOT = 16

export async function applyPlan(plan: Plan, ctx: ApplyContext): Promise<ApplyResult> {
  const runId = randomUUID()
  const now = ctx.now ?? (() => new Date())
  // Keyed by change, not address: a backend's create and its default switch share an address.
  const outcomes = new Map<Change, ChangeOutcome>()
  const failedBackends = new Map<string, string>()
  let bumped = false
  /** The secret rows as the current phase began (see below), or undefined: read each row. */
  let live: Map<string, SecretRecord> | undefined

  // Audit rows commit in groups off each change's path (group-commit.ts); all are awaited before
  // the apply returns. A process killed mid-apply can lose the rows of its last changes, as it
  // could before they were grouped: the changes themselves are safe, and the next plan shows them.
  const pending: Promise<unknown>[] = []
  const later = (p: Promise<unknown>) => {
    p.catch(() => {}) // observed below; not an unhandled rejection meanwhile
    pending.push(p)
    return p
  }

  const record = (c: Change, outcome: Outcome, detail: string, warnings: string[] = []) => {
    const o: ChangeOutcome = {address: c.address, action: c.action, outcome, detail, ...(warnings.length ? {warnings} : {})}
    outcomes.set(c, o)
    if (outcome === 'applied' && !bumped) {
      bumped = true // once per apply that changed something
      later(ctx.state.bumpSerial())
    }
    later(
      ctx.state.audit({
        runId,
        actor: ctx.actor,
        address: c.address,
        action: c.action,
        outcome,
        detail: warnings.length ? `${detail} (warning: ${warnings.join('; ')})` : detail,
      }),
    )
    ctx.onOutcome?.(o)
  }

  const run = async (c: Change) => {
    const blocked = blockingBackend(c, failedBackends)
    if (blocked) return record(c, 'skipped', `backend ${blocked} is unavailable: ${failedBackends.get(blocked)}`)
    try {
      const warnings = await executeChange(c, ctx, now, live)
      record(c, 'applied', c.reason, warnings)
    } catch (err) {
      if (c.kind === 'backend' && (c.action === 'create' || c.action === 'update')) failedBackends.set(c.name, describeError(err))
      record(c, 'failed', describeError(err))
    }
  }

  const phases = [...new Set(plan.changes.map((c) => c.phase))].sort((a, b) => a - b)
  for (const phase of phases) {
    const batch = plan.changes.filter((c) => c.phase === phase)
    if (phase === Phase.Secrets || phase === Phase.SecretDeletes) {
      await checkHealth(batch, ctx, failedBackends)
      // One read of every row instead of one per change: within a phase each secret has one
      // change, and nothing else writes the state while the apply holds the lock.
      live = new Map((await ctx.state.listSecrets()).map((s) => [s.name, s]))
      const limit = pLimit(Math.max(1, ctx.concurrency) * SECRETS_PER_REQUEST_SLOT)
      await Promise.all(batch.map((c) => limit(() => run(c))))
      live = undefined
    } else {
      if (phase === Phase.TrustRootSecrets) await checkHealth(batch, ctx, failedBackends)
      for (const c of batch) await run(c)
    }
  }

  await Promise.all(pending)
  const meta = await ctx.state.meta()
  const changes = plan.changes.map((c) => outcomes.get(c)!)
  const summary: Record<Outcome, number> = {applied: 0, failed: 0, skipped: 0}
  for (const o of changes) summary[o.outcome]++
  return {
    formatVersion: FORMAT_VERSION,
    runId,
    lineage: meta.lineage,
    serial: meta.serial,
    changes,
    summary,
    ok: summary.failed === 0 && summary.skipped === 0,
  }
}

/** Backends a secret change touches: where it is and where it goes. */
function touchedBackends(c: Change): string[] {
  if (c.kind !== 'secret') return []
  const names = new Set<string>()
  if (c.before) names.add((c.before as SecretView).backend)
  if (c.after) names.add((c.after as SecretView).backend)
  return [...names]
}

function blockingBackend(c: Change, failed: Map<string, string>): string | undefined {
  return touchedBackends(c).find((b) => failed.has(b))
}

/** Health-check every backend a batch touches before any of it runs: a sealed store changes nothing. */
async function checkHealth(batch: Change[], ctx: ApplyContext, failed: Map<string, string>): Promise<void> {
  const names = [...new Set(batch.flatMap(touchedBackends))].filter((n) => !failed.has(n)).sort()
  await Promise.all(
    names.map(async (name) => {
      try {
        const driver = await ctx.drivers.get(name)
        const health = await driver.health()
        if (!health.ok) failed.set(name, health.detail)
      } catch (err) {
        failed.set(name, describeError(err))
      }
    }),
  )
}

/** Runs one change; returns warnings for things that failed after the change took effect. */
async function executeChange(c: Change, ctx: ApplyContext, now: () => Date, live: LiveRows): Promise<string[]> {
  const {state, drivers} = ctx
  if (c.kind === 'backend') {
    if (c.action === 'create' || c.action === 'update') {
      const b = ctx.desired.backends.find((x) => x.name === c.name)
      if (!b) throw new Error(`backend ${c.name} is not in the manifests`)
      await state.upsertBackend({
        name: b.name,
        type: b.type,
        description: b.description ?? null,
        config: b.config,
        rotation: (b.rotation as Record<string, unknown> | undefined) ?? null,
      })
      drivers.forget(b.name)
    } else if (c.action === 'set-default') {
      await state.setDefaultBackend(c.to ?? c.name)
    } else if (c.action === 'delete') {
      await state.deleteBackend(c.name)
      drivers.forget(c.name)
    }
    return []
  }
  if (c.kind === 'secret') {
    if (c.action === 'delete') return deleteSecret(c, ctx, live)
    return writeSecret(c, ctx, now, live)
  }
  if (c.kind === 'token' && c.action === 'rotate') return rotateToken(c.name, ctx, now)
  throw new Error(`${c.action} of ${c.kind} is not supported yet`)
}

async function rotateToken(backendName: string, ctx: ApplyContext, now: () => Date): Promise<string[]> {
  const backend = await ctx.state.getBackend(backendName)
  if (!backend) throw new Error(`backend ${backendName} does not exist in the state`)
  const driver = await ctx.drivers.get(backendName)
  if (!driver.tokenAccess) throw new Error(`backend ${backendName} (${backend.type}) has no token to rotate`)
  const {api, currentToken} = await driver.tokenAccess()
  const outcome = await rotateBackendToken({state: ctx.state, backend, api, currentToken, now})
  // Later changes in this run authenticate with the new token.
  ctx.drivers.invalidateTrustRoot()
  return outcome.warnings
}

/** The secret rows read at the start of the phase, when there is such a snapshot. */
type LiveRows = Map<string, SecretRecord> | undefined

function liveRow(name: string, ctx: ApplyContext, rows: LiveRows): Promise<SecretRecord | undefined> {
  return rows ? Promise.resolve(rows.get(name)) : ctx.state.getSecret(name)
}

async function deleteSecret(c: Change, ctx: ApplyContext, rows: LiveRows): Promise<string[]> {
  const live = await liveRow(c.name, ctx, rows)
  if (!live) return []
  const driver = await ctx.drivers.get(live.backend)
  await driver.delete(c.name)
  await ctx.state.deleteSecret(c.name)
  return []
}

async function writeSecret(c: Change, ctx: ApplyContext, now: () => Date, rows: LiveRows): Promise<string[]> {
  const {state, drivers} = ctx
  const name = c.name
  const destName = (c.after as SecretView).backend
  const live = await liveRow(name, ctx, rows)
  const dest = await drivers.get(destName)
  const source = live ? await drivers.get(live.backend) : undefined
  const isMove = !!live && live.backend !== destName
  const resolved = ctx.values.get(name)

  // The current value is needed to move it, to keep generated keys, and for placement-only secrets.
  const needsCurrent =
    !!live && (isMove || !resolved || [...resolved.entries()].some(([k, v]) => v.source === 'generate' && c.keys?.[k] !== 'regenerated'))
  let current: SecretValues | undefined
  if (live && needsCurrent) {
    current = await source!.read(name)
    if (!current)
      throw new Error(
        `${live.backend} holds no value for ${name}; the state says it should (drift): restore it or remove the secret from the state`,
      )
  }

  const writtenAt = now().toISOString()
  let values: SecretValues
  let keys: Record<string, KeyRecord>
  if (!resolved) {
    values = current!
    keys = live!.keys
  } else {
    values = {}
    keys = {}
    for (const key of [...resolved.keys()].sort()) {
      const rv = resolved.get(key)!
      const kept = live?.keys[key]
      if (rv.source === 'generate') {
        const reuse = c.keys?.[key] !== 'regenerated' && kept && current?.[key] !== undefined
        values[key] = reuse ? current![key]! : generateValue(rv.spec!)
        keys[key] = reuse ? kept : {fingerprint: await state.fingerprint(key, values[key]!), source: 'generate', writtenAt}
      } else {
        values[key] = rv.value!
        const fingerprint = await state.fingerprint(key, rv.value!)
        keys[key] = kept && kept.fingerprint === fingerprint ? kept : {fingerprint, source: rv.source, writtenAt}
      }
    }
  }

  let cas: number | undefined
  if (dest.capabilities.checkAndSet) {
    if (!isMove && live && live.backendVersion !== null && !c.drift) cas = live.backendVersion
    else if (c.drift) cas = await versionOn(dest, name)
    else cas = 0 // a create or a move: normally nothing is there yet
  }
  let written: WriteResult
  try {
    written = await dest.write(name, values, {cas})
  } catch (err) {
    // A create or a move found a copy at the destination (an interrupted run's): it is replaced
    // at the version it holds. One request more, only then; the usual first write needs none.
    if (!(cas === 0 && !c.drift && err instanceof BackendError && err.casMismatch)) throw err
    written = await dest.write(name, values, {cas: await versionOn(dest, name)})
  }
  await state.putSecret({
    name,
    backend: destName,
    externalRef: written.externalRef,
    rowData: written.rowData,
    keys,
    backendVersion: written.version,
    ...(isMove && c.keepSource
      ? {
          retainOn: {
            backend: live!.backend,
            externalRef: live!.externalRef,
            rowData: source!.capabilities.storesInState ? (current ?? null) : null,
          },
        }
      : {}),
  })
  // A backend that stores values in the state lost them in the placement transaction just now:
  // nothing is left there to delete.
  if (isMove && !c.keepSource && !source!.capabilities.storesInState) {
    try {
      await source!.delete(name)
    } catch (err) {
      return [`moved, but the copy on ${live!.backend} could not be deleted: ${describeError(err)}`]
    }
  }
  return []
}

/** The version a check-and-set write must name to replace what the backend holds (0: nothing). */
async function versionOn(driver: BackendDriver, name: string): Promise<number> {
  const meta = await driver.metadata(name)
  return meta.exists ? (meta.version ?? 0) : 0
}
