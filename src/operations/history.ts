/** Applies as runs, rebuilt from the audit table (one row per change, grouped by run id). */
import type {StateStore} from '../state/types.js'
import {withExistingState} from '../workspace/environment-state.js'
import type {StateRequest} from './inspect-state.js'

export interface RunSummary {
  runId: string
  /** When the run's first change was recorded. */
  at: string
  actor: string
  /** `applied` when every change applied, `failed` when any failed, else `partial`. */
  outcome: 'applied' | 'failed' | 'partial'
  changes: Array<{address: string; action: string; outcome: string; detail?: string}>
}

/** Audit rows are read newest first; enough of them are read to fill `limit` runs. */
export async function listRuns(state: StateStore, limit: number): Promise<RunSummary[]> {
  const rows = await state.listAudit({limit: Math.max(limit * 200, 1000)})
  const runs = new Map<string, RunSummary>()
  for (const r of [...rows].reverse()) {
    let run = runs.get(r.runId)
    if (!run) {
      run = {runId: r.runId, at: r.at, actor: r.actor, outcome: 'applied', changes: []}
      runs.set(r.runId, run)
    }
    run.changes.push({address: r.address, action: r.action, outcome: r.outcome, ...(r.detail ? {detail: r.detail} : {})})
  }
  for (const run of runs.values()) {
    if (run.changes.some((c) => c.outcome === 'failed')) run.outcome = 'failed'
    else if (run.changes.some((c) => c.outcome !== 'applied')) run.outcome = 'partial'
  }
  return [...runs.values()].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, limit)
}

/** `secretctl history`: the last `limit` runs, newest first. */
export function listHistory(req: StateRequest, limit: number): Promise<RunSummary[]> {
  return withExistingState(req, (state) => listRuns(state, limit))
}
