/**
 * Group commit for the state's hot writes (placements, deletes, audit rows). An apply writes many
 * secrets concurrently; a transaction and a statement or three per write made the state database,
 * not the backends, the limit of a migration (each statement through knex costs about half a
 * millisecond on SQLite, each commit an fsync). Here the writes that arrive while a commit is in
 * flight wait, and then go in together: one transaction, and for each kind of write one call of
 * its writer with all of that kind's items, so the writer can use multi-row statements.
 *
 * Durability is unchanged: each caller's promise settles only after the transaction holding its
 * write has committed, so "flip the row, then delete the source" stays safe. A group that fails is
 * rolled back whole and its writes are retried one transaction each, so a bad write fails alone
 * (and Postgres, which aborts a transaction at its first error, needs no savepoints).
 */
import type {Knex} from 'knex'

/** Writes every item in one go, inside the given transaction. */
export type BatchWriter<T> = (trx: Knex.Transaction, items: T[]) => Promise<void>

interface Pending {
  writer: BatchWriter<unknown>
  item: unknown
  resolve(): void
  reject(reason: unknown): void
}

/**
 * Writes per transaction at most: bounds what a rolled-back group redoes one by one. Groups this large
 * form only while commits are slow (a disk busy with other writes: ~100–220 ms per commit, whatever its
 * size), when the apply keeps up to 4,096 changes waiting (apply/pipeline.ts); at 500 the commits' rate
 * then held the moves up (docs/performance.md, an eleventh round).
 */
const MAX_GROUP = 2000

export class GroupCommit {
  private readonly queue: Pending[] = []
  private draining = false

  constructor(private readonly db: Knex) {}

  /** Writes `item` with `writer` in a transaction, probably shared; settles once that has committed. */
  write<T>(writer: BatchWriter<T>, item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({writer: writer as BatchWriter<unknown>, item, resolve, reject})
      if (!this.draining) void this.drain()
    })
  }

  private async drain(): Promise<void> {
    this.draining = true
    try {
      while (this.queue.length > 0) {
        // One turn of the event loop lets writes issued in the same tick join the first group.
        await new Promise((resolve) => setImmediate(resolve))
        await this.commit(this.queue.splice(0, MAX_GROUP))
      }
    } finally {
      this.draining = false
    }
  }

  private async commit(group: Pending[]): Promise<void> {
    if (group.length > 1) {
      try {
        await this.db.transaction(async (trx) => {
          for (const [writer, items] of byWriter(group)) await writer(trx, items)
        })
        for (const p of group) p.resolve()
        return
      } catch {
        // Rolled back whole: none of it took effect. Retried one by one below.
      }
    }
    for (const p of group) {
      try {
        await this.db.transaction((trx) => p.writer(trx, [p.item]))
        p.resolve()
      } catch (err) {
        p.reject(err)
      }
    }
  }
}

/** The group's items by writer, each writer in the order it first appears. */
function byWriter(group: Pending[]): Map<BatchWriter<unknown>, unknown[]> {
  const out = new Map<BatchWriter<unknown>, unknown[]>()
  for (const p of group) {
    const items = out.get(p.writer)
    if (items) items.push(p.item)
    else out.set(p.writer, [p.item])
  }
  return out
}
