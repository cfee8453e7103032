/**
 * Stopping a secretctl run at a known point, from the test, without guessing with time: the test
 * takes the state database's write lock (SQLite: `BEGIN IMMEDIATE`; Postgres: the `locks` table in
 * EXCLUSIVE mode) and looks. The run cannot commit (SQLite) or release its state lock (either)
 * while the test holds it, so what the test reads is where the run stands, and a state lock row
 * seen then belongs to a run that has not finished and cannot finish before the hold ends:
 * killing it then lands inside its apply, by construction.
 */
import knex, {type Knex} from 'knex'
import {postgresUrlOf, stateFile} from './cli.js'

export interface StateFreezer {
  /** Runs `look` while the run's writes wait; `look` gets a query function on the held connection. */
  frozen<T>(look: (query: <R>(sql: string, bindings?: unknown[]) => Promise<R[]>) => Promise<T>): Promise<T>
  close(): Promise<void>
}

export function stateFreezer(dir: string): StateFreezer {
  const pg = postgresUrlOf(dir)
  const db: Knex = pg
    ? knex({client: 'pg', connection: pg, pool: {min: 1, max: 1}})
    : knex({
        client: 'sqlite3',
        connection: {filename: stateFile(dir)},
        useNullAsDefault: true,
        pool: {
          min: 1,
          max: 1,
          // Wait for a commit in progress rather than fail: the run's transactions are short.
          afterCreate: (conn: {run(sql: string, cb: (err: Error | null) => void): void}, done: (err: Error | null, c: unknown) => void) =>
            conn.run('PRAGMA busy_timeout = 60000', (err) => done(err, conn)),
        },
      })
  const rows = async <R>(sql: string, bindings: unknown[] = []): Promise<R[]> => {
    const r = await db.raw(sql, bindings as never)
    return (pg ? (r as {rows: R[]}).rows : r) as R[]
  }
  return {
    async frozen(look) {
      await db.raw(pg ? 'BEGIN' : 'BEGIN IMMEDIATE')
      try {
        if (pg) await db.raw('LOCK TABLE locks IN EXCLUSIVE MODE')
        return await look(rows)
      } finally {
        await db.raw('ROLLBACK')
      }
    },
    close: () => db.destroy(),
  }
}
