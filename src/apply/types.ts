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

export interface ApplyResult {
  formatVersion: number
  runId: string
  lineage: string
  /** The state's serial after the apply. */
  serial: number
  changes: ChangeOutcome[]
  summary: Record<Outcome, number>
  ok: boolean
}
