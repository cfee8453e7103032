/**
 * The secret rows of a phase of an apply, read a window of changes at a time, ahead of the changes
 * that need them. Reading every row up front (one query instead of one per change) held 100,000
 * records for the whole phase, ~40 MiB at 100,000 secrets (docs/performance.md, peak RSS at
 * 100,000); a window is one read of WINDOW names, the next one read as the first change reaches the
 * one before, the one after that as a change reaches the middle of it, and dropped once its changes
 * are done. Within a phase each secret has one change and nothing else writes the state while the
 * apply holds the lock, so a row read just before its change is the row the snapshot held.
 */
import type {SecretRecord, StateStore} from '../state/types.js'

/** Changes per window: a few times the secrets in their backend part, so the read ahead is done before it is needed. */
const WINDOW = 2000

type Rows = Map<string, SecretRecord>

export class PhaseRows {
  readonly #windows = new Map<number, Promise<Rows>>()
  /** Per window, its changes not yet done. */
  readonly #open: number[]

  /** `names`: the secret of each change of the phase, in the order the changes start. */
  constructor(
    private readonly state: Pick<StateStore, 'getSecrets'>,
    private readonly names: readonly string[],
  ) {
    this.#open = Array.from({length: Math.ceil(names.length / WINDOW)}, (_, w) => Math.min(WINDOW, names.length - w * WINDOW))
  }

  /** Reads the first window (before the phase's first change, as the snapshot was). */
  async start(): Promise<void> {
    await this.#window(0)
  }

  /** The row of the phase's change number `index` (undefined: the secret has none), taken out of its window. */
  async take(index: number): Promise<SecretRecord | undefined> {
    const w = Math.floor(index / WINDOW)
    const rows = await (this.#window(w) as Promise<Rows>)
    // Read ahead one and a half windows or more: a commit that waits on a slow fsync holds the one
    // connection, and the changes go on past it (pipeline.ts) only as far as rows are in hand. The
    // second window from the middle of this one on, not at the phase's start: its rows are parsed on
    // the main thread, where they would hold back the first request.
    this.#window(w + 1)
    if (index - w * WINDOW >= WINDOW / 2) this.#window(w + 2)
    const name = this.names[index] as string
    const row = rows.get(name)
    rows.delete(name)
    return row
  }

  /** The change number `index` is done (whether or not it took its row): a window whose changes are all done is dropped. */
  done(index: number): void {
    const w = Math.floor(index / WINDOW)
    if (--(this.#open[w] as number) === 0) this.#windows.delete(w)
  }

  #window(w: number): Promise<Rows> | undefined {
    let rows = this.#windows.get(w)
    if (!rows && (this.#open[w] ?? 0) > 0) {
      rows = this.state.getSecrets(this.names.slice(w * WINDOW, (w + 1) * WINDOW)).then((found) => new Map(found.map((r) => [r.name, r])))
      rows.catch(() => {}) // a read ahead that fails is reported by the take that needs it
      this.#windows.set(w, rows)
    }
    return rows
  }
}
