/**
 * Executes a Plan in DESIGN's order and records every outcome in the audit table. Secrets move one
 * at a time each (read → write destination → flip the row in one transaction → delete the source),
 * independent secrets concurrently up to a bound, so an interruption anywhere leaves the row naming
 * a backend that holds a good copy and a re-run finishes the job.
 */
import {randomUUID} from 'node:crypto'
import type {BackendChange, Change, Plan, SecretDelete, TokenRotate} from '../plan/types.js'
import {FORMAT_VERSION, Phase, touchedBackends} from '../plan/types.js'
import type {DesiredModel} from '../manifests/types.js'
import type {StateStore} from '../state/types.js'
import type {DriverPool} from '../backends/driver-pool.js'
import {kindOf} from '../backends/registry.js'
import {BackendError, PlanError, StateError} from '../errors.js'
import type {ResolvedValues} from '../sources/resolve-values.js'
import {packedValues, type ApplyValues} from './packed-values.js'
import type {ApplyResult, ChangeOutcome, MoveSummary, Outcome} from './types.js'
import {describeError} from './describe-error.js'
import {liveRow, writeSecret, type LiveRow} from './write-secret.js'
import {PhaseRows} from './phase-rows.js'
import {recordSecret} from './record-secret.js'
import {resolveActor} from '../workspace/actor.js'
import {assertStateRecords} from './state-writes.js'
import {runPipelined} from './pipeline.js'

export interface ApplyContext {
  state: StateStore
  desired: DesiredModel
  /** Values from the manifests' sources, resolved for this run (a `ResolvedValues` map, or packed: packed-values.ts). */
  values: ApplyValues
  drivers: DriverPool
  actor: string
  /** Bound on backend requests in flight; secrets in progress are a multiple of it. */
  concurrency: number
  now?: () => Date
  /** Called as each change finishes, for progress output. */
  onOutcome?: (o: ChangeOutcome) => void
  /** The caller already made sure the state lets this role record every change (assertStateRecords, before asking approval). */
  stateWritesChecked?: boolean
}

/**
 * The context an apply runs in, from the run's workspace. Of the secrets' declarations an apply reads
 * only the refs of those that have them (record-secret.ts): the others (about a kilobyte each with
 * their field positions) are left out, and the values are packed outside the heap (packed-values.ts),
 * so that a caller can let go of the workspace's declarations and values for the apply.
 */
export function applyContextOf(
  ws: Pick<ApplyContext, 'state' | 'desired' | 'drivers' | 'concurrency'> & {values: ResolvedValues | ApplyValues},
  env: NodeJS.ProcessEnv,
  onOutcome?: ApplyContext['onOutcome'],
): ApplyContext {
  const {state, drivers, concurrency} = ws
  const values = packedValues(ws.values)
  return {
    state,
    desired: applyDeclarations(ws.desired),
    values,
    drivers,
    concurrency,
    actor: resolveActor(env),
    ...(onOutcome ? {onOutcome} : {}),
  }
}

/** The desired model as an apply reads it: the backends, and the secrets that have refs (record-secret.ts). */
export function applyDeclarations(desired: DesiredModel): DesiredModel {
  return {...desired, secrets: desired.secrets.filter((s) => s.refs !== undefined)}
}

/**
 * Secrets in progress per backend request allowed in flight. Requests stay bounded by
 * `concurrency` (each driver's client enforces it); the secrets between their request and their
 * commit wait for the next group commit, and a deeper pipeline makes those groups larger instead
 * of leaving the backend idle while they wait (docs/performance.md).
 */
const SECRETS_PER_REQUEST_SLOT = 16

/**
 * Changes past their backend's part that may wait for their row's group commit (pipeline.ts): a
 * commit that is slow (an fsync taking a third of a second after 100,000 value files were written)
 * no longer holds every slot and leaves the backend idle (docs/performance.md, the tenth round).
 */
const AWAITING_COMMIT = 4096

export async function applyPlan(plan: Plan, ctx: ApplyContext): Promise<ApplyResult> {
  // Before any backend is written: a change the state cannot record must not be made at all.
  if (!ctx.stateWritesChecked) await assertStateRecords(plan, ctx.state)
  const runId = randomUUID()
  const now = ctx.now ?? (() => new Date())
  // By the change's place in the plan, not its address: a backend's create and its default switch share
  // an address. A code per change, and the detail and warnings only where the detail is not the
  // change's reason (failed, skipped): an object and a map entry per change held to the end were ~10 MiB
  // at 100,000 (docs/performance.md, peak RSS at 100,000); the outcomes are made once the apply is done.
  const outcomes = new Uint8Array(plan.changes.length)
  const details = new Map<number, {detail: string; warnings: string[]}>()
  const failedBackends = new Map<string, string>()
  let bumped = false
  /** The secret rows of the current phase (see below), or undefined: read each row alone. */
  let rows: PhaseRows | undefined

  // Audit rows commit in groups off each change's path (group-commit.ts); all are awaited before
  // the apply returns. A process killed mid-apply can lose the rows of its last changes, as it
  // could before they were grouped: the changes themselves are safe, and the next plan shows them.
  // Only the writes not yet committed are held (a promise per change of 100,000 held to the end was
  // megabytes), and the first failure, which the apply reports as awaiting them all did.
  const pending = new Set<Promise<unknown>>()
  let auditFailure: {error: unknown} | undefined
  const later = (p: Promise<unknown>) => {
    pending.add(p)
    p.then(
      () => pending.delete(p),
      (error: unknown) => {
        pending.delete(p)
        auditFailure ??= {error}
      },
    )
    return p
  }

  const record = (c: Change, at: number, outcome: Outcome, detail: string, warnings: string[] = []) => {
    outcomes[at] = OUTCOME_CODES[outcome]
    if (detail !== c.reason || warnings.length) details.set(at, {detail, warnings})
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
    ctx.onOutcome?.(changeOutcome(c, outcome, detail, warnings))
  }

  /**
   * Runs the plan's change number `at`, the phase's change number `index`. `backendDone` is called
   * once the change's backend requests are made, before its state write commits (or not at all).
   */
  const run = async (at: number, index: number, backendDone?: () => void) => {
    const c = plan.changes[at] as Change
    const phaseRows = rows
    const blocked = touchedBackends(c).find((b) => failedBackends.has(b))
    if (blocked) return record(c, at, 'skipped', `backend ${blocked} is unavailable: ${failedBackends.get(blocked)}`)
    // The plan found an object secretctl does not own in the way: nothing is touched.
    if (c.kind === 'secret' && c.refused) return record(c, at, 'failed', c.refused)
    try {
      const warnings = await executeChange(c, ctx, now, phaseRows && (() => phaseRows.take(index)), backendDone)
      record(c, at, 'applied', c.reason, warnings)
    } catch (err) {
      if (c.kind === 'backend' && (c.action === 'create' || c.action === 'update')) failedBackends.set(c.name, describeError(err))
      record(c, at, 'failed', describeError(err))
    } finally {
      // A secret has one change per phase and no later phase reads its values: they go now, not at the end of the run.
      if (c.kind === 'secret') ctx.values.delete(c.name)
      phaseRows?.done(index)
    }
  }

  const phases = [...new Set(plan.changes.map((c) => c.phase))].sort((a, b) => a - b)
  for (const phase of phases) {
    // The phase's changes by their place in the plan.
    const places: number[] = []
    plan.changes.forEach((c, at) => {
      if (c.phase === phase) places.push(at)
    })
    const batch = places.map((at) => plan.changes[at] as Change)
    if (phase === Phase.Secrets || phase === Phase.SecretDeletes) {
      // The rows read a window of changes at a time (phase-rows.ts), not one read per change.
      rows = new PhaseRows(
        ctx.state,
        batch.map((c) => c.name),
      )
      await rows.start()
      // Health last, just before the first write: the backend would sit idle between its health check
      // and the writes while the rows are read (docs/performance.md, the scale group).
      await checkHealth(batch, ctx, failedBackends)
      // p-map takes the next change only as one finishes: queueing all of them up front (p-limit) held
      // the first write back by 90 ms at 10,000 changes, and by a second at 100,000 (docs/performance.md).
      await runPipelined(places, run, {slots: Math.max(1, ctx.concurrency) * SECRETS_PER_REQUEST_SLOT, awaitingCommit: AWAITING_COMMIT})
      rows = undefined
    } else {
      if (phase === Phase.TrustRootSecrets) await checkHealth(batch, ctx, failedBackends)
      for (const at of places) await run(at, 0)
    }
  }

  while (pending.size > 0) await Promise.allSettled([...pending])
  if (auditFailure) throw auditFailure.error
  const meta = await ctx.state.meta()
  const outcomeAt = (at: number) => OUTCOMES[outcomes[at] as number]
  const changes: ChangeOutcome[] = []
  plan.changes.forEach((c, at) => {
    const outcome = outcomeAt(at)
    if (!outcome) return
    const {detail, warnings} = details.get(at) ?? {detail: c.reason, warnings: []}
    changes.push(changeOutcome(c, outcome, detail, warnings))
  })
  const summary: Record<Outcome, number> = {applied: 0, failed: 0, skipped: 0}
  for (const o of changes) summary[o.outcome]++
  const moves = summariseMoves(plan, outcomeAt)
  return {
    formatVersion: FORMAT_VERSION,
    runId,
    lineage: meta.lineage,
    serial: meta.serial,
    changes,
    summary,
    ...(moves.length ? {moves} : {}),
    ok: summary.failed === 0 && summary.skipped === 0,
  }
}

/** Outcomes by code (0: the change did not run), and the code of each. */
const OUTCOMES: ReadonlyArray<Outcome | undefined> = [undefined, 'applied', 'failed', 'skipped']
const OUTCOME_CODES: Record<Outcome, number> = {applied: 1, failed: 2, skipped: 3}

function changeOutcome(c: Change, outcome: Outcome, detail: string, warnings: string[]): ChangeOutcome {
  return {address: c.address, action: c.action, outcome, detail, ...(warnings.length ? {warnings} : {})}
}

/** The moves of the plan per pair of backends, by outcome, sorted by source then destination. */
function summariseMoves(plan: Plan, outcomeAt: (at: number) => Outcome | undefined): MoveSummary[] {
  const pairs = new Map<string, MoveSummary>()
  for (let at = 0; at < plan.changes.length; at++) {
    const c = plan.changes[at] as Change
    const outcome = outcomeAt(at)
    if (c.kind !== 'secret' || c.action !== 'move' || !outcome) continue
    const id = `${c.from}\0${c.to}`
    const pair = pairs.get(id) ?? {from: c.from, to: c.to, moved: 0, kept: 0, failed: 0, skipped: 0}
    pairs.set(id, pair)
    if (outcome === 'applied') {
      pair.moved++
      if (c.keepSource) pair.kept++
    } else pair[outcome]++
  }
  return [...pairs.values()].sort((a, b) => (a.from === b.from ? (a.to < b.to ? -1 : 1) : a.from < b.from ? -1 : 1))
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
async function executeChange(c: Change, ctx: ApplyContext, now: () => Date, live: LiveRow, backendDone?: () => void): Promise<string[]> {
  switch (c.kind) {
    case 'backend':
      return applyBackendChange(c, ctx)
    case 'token':
      return rotateToken(c, ctx, now)
    case 'secret':
      if (c.action === 'delete') return deleteSecret(c, ctx, live, backendDone)
      if (c.recordOnly && c.action !== 'move') return recordSecret(c, ctx, now, await liveRow(c.name, ctx, live))
      return writeSecret(c, ctx, now, live, backendDone)
  }
}

async function applyBackendChange(c: BackendChange, ctx: ApplyContext): Promise<string[]> {
  const {state, drivers} = ctx
  switch (c.action) {
    case 'create':
    case 'update': {
      const b = ctx.desired.backends.find((x) => x.name === c.name)
      if (!b) throw new PlanError(`backend ${c.name} is not in the manifests`, 'plan again: the plan and the manifests disagree')
      await state.upsertBackend({
        name: b.name,
        type: b.type,
        description: b.description ?? null,
        config: b.config,
        rotation: b.rotation ?? null,
      })
      drivers.forget(b.name)
      return []
    }
    case 'set-default':
      await state.setDefaultBackend(c.to)
      return []
    case 'delete': {
      // Copies kept there go first, through the driver (a read-only one keeps them: only the record goes); the backend's row only once none is left.
      const driver = c.retainedCopies?.length ? await drivers.get(c.name) : undefined
      for (const secret of c.retainedCopies ?? []) {
        if (!driver?.capabilities.readOnly) await driver?.delete(secret)
        await state.deleteRetainedCopy(secret, c.name)
      }
      await state.deleteBackend(c.name)
      drivers.forget(c.name)
      return []
    }
  }
}

async function rotateToken(c: TokenRotate, ctx: ApplyContext, now: () => Date): Promise<string[]> {
  const backend = await ctx.state.getBackend(c.name)
  if (!backend) throw new StateError(`backend ${c.name} does not exist in the state`)
  const rotation = kindOf(backend.type, backend.name).tokenRotation
  if (!rotation) throw new BackendError(c.name, `a ${backend.type} backend has no token secretctl can rotate`)
  const outcome = await rotation.rotate({driver: await ctx.drivers.get(c.name), backend, state: ctx.state, now})
  // Later changes in this run authenticate with the new token.
  ctx.drivers.invalidateTrustRoot()
  return outcome.warnings
}

async function deleteSecret(c: SecretDelete, ctx: ApplyContext, row: LiveRow, backendDone?: () => void): Promise<string[]> {
  if (c.copies) {
    for (const backend of c.copies) {
      await (await ctx.drivers.get(backend)).delete(c.name)
      await ctx.state.deleteRetainedCopy(c.name, backend)
    }
    return []
  }
  const live = await liveRow(c.name, ctx, row)
  if (!live) return []
  // A read-only backend keeps its value: only the record goes.
  if (!c.forgetOnly) {
    const driver = await ctx.drivers.get(live.backend)
    await driver.delete(c.name)
    // As for writes (write-secret.ts): only a request to a backend outside the state frees the slot early.
    if (!driver.capabilities.storesInState) backendDone?.()
  }
  await ctx.state.deleteSecret(c.name)
  return []
}
