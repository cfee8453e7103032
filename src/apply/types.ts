/** The outcome of an apply: per change applied / failed / skipped, plain data like the plan. */
import type {Action} from '../plan/types.js'

export type Outcome = 'applied' | 'failed' | 'skipped'

export interface ChangeOutcome {
  address: string
  action: Action
  outcome: Outcome
  /** The change's reason when applied; the error (never a value) when failed; why when skipped. */
  detail: string
  /** Things that went wrong after the change itself took effect (e.g. the source copy could not be deleted). */
  warnings?: string[]
}

/** The moves of an apply from one backend to another, counted: the summary a migration ends with. */
export interface MoveSummary {
  from: string
  to: string
  /** Moved to `to` (their copies on `from` deleted, or kept as below). */
  moved: number
  /** Of those moved, how many left their copy on `from` (keepSource, or a read-only source). */
  kept: number
  /** Failed: still on `from`, as before. */
  failed: number
  /** Not attempted (a backend was unavailable): still on `from`. */
  skipped: number
}

export interface ApplyResult {
  formatVersion: number
  runId: string
  lineage: string
  /** The state's serial after the apply. */
  serial: number
  changes: ChangeOutcome[]
  summary: Record<Outcome, number>
  /** Per pair of backends, the moves between them; absent when the plan moved nothing. */
  moves?: MoveSummary[]
  ok: boolean
}

/**
 * Told how an apply goes, for a progress display: the number of changes before the first, each
 * outcome as it comes, and the end (however the apply ends).
 */
export interface ApplyProgress {
  start(total: number): void | Promise<void>
  outcome(o: ChangeOutcome): void
  stop(): void
}
