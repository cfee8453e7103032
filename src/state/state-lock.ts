/**
 * The state lock: one writer at a time. On SQLite it is a row in `locks`, inserted by a single
 * statement that only succeeds when the table is empty (SQLite runs it under its write lock, so two
 * processes cannot both get it). On Postgres it is a session advisory lock held on a dedicated
 * connection for the command's life, with the same row written for the holder's details. A holder
 * that died leaves its row behind; `secretctl state unlock LOCK_ID` removes it.
 */
import {randomUUID} from 'node:crypto'
import {hostname} from 'node:os'
import type {Knex} from 'knex'
import {StateError} from '../errors.js'

export interface LockHolder {
  actor: string
  host: string
  pid: number
  /** The command line that holds it, e.g. `apply --auto-approve` (flags only, never values). */
  command: string
}

export interface LockInfo extends LockHolder {
  lockId: string
  since: string
}

export interface StateLockHandle {
  readonly info: LockInfo
  release(): Promise<void>
}

/** Raised when another process holds the lock; names the holder. */
export class StateLockedError extends StateError {
  readonly holder: LockInfo | undefined
  constructor(holder: LockInfo | undefined, waitedMs: number) {
    const dead = holder !== undefined && holder.host === hostname() && !processAlive(holder.pid)
    super(
      holder
        ? `the state is locked by ${holder.actor} on ${holder.host} (pid ${holder.pid}, \`${holder.command}\`) since ${holder.since}; lock ID ${holder.lockId}` +
            (waitedMs ? ` (waited ${Math.round(waitedMs / 1000)}s)` : '') +
            (dead ? '. That process is no longer running on this host' : '')
        : 'the state is locked by another process',
      holder
        ? dead
          ? `remove its lock: secretctl state unlock ${holder.lockId}`
          : `wait for it to finish, retry with --lock-timeout DURATION, or if that process died: secretctl state unlock ${holder.lockId}`
        : 'retry with --lock-timeout DURATION',
    )
    this.holder = holder
  }
}

/** The advisory lock key secretctl uses on Postgres (any fixed 64-bit number; "secretctl" in ASCII, truncated). */
const PG_ADVISORY_KEY = '7310593858020254836'

interface LockRow {
  lock_id: string
  actor: string
  host: string
  pid: number | string
  command: string
  since: string
}

function toInfo(r: LockRow): LockInfo {
  return {lockId: r.lock_id, actor: r.actor, host: r.host, pid: Number(r.pid), command: r.command, since: r.since}
}

export async function listLocks(db: Knex): Promise<LockInfo[]> {
  const rows: LockRow[] = await db('locks').select('*').orderBy('since')
  return rows.map(toInfo)
}

export async function removeLock(db: Knex, lockId: string): Promise<boolean> {
  return (await db('locks').where({lock_id: lockId}).delete()) > 0
}

/** One attempt: the handle, or undefined when somebody else holds the lock. */
async function tryAcquire(db: Knex, dialect: 'sqlite' | 'postgres', holder: LockHolder, now: Date): Promise<StateLockHandle | undefined> {
  const info: LockInfo = {...holder, lockId: randomUUID(), since: now.toISOString()}
  const row = {
    lock_id: info.lockId,
    actor: info.actor,
    host: info.host,
    pid: info.pid,
    command: info.command.slice(0, 255),
    since: info.since,
  }
  if (dialect === 'sqlite') {
    const inserted = await db.raw(
      `insert into locks (lock_id, actor, host, pid, command, since) select ?, ?, ?, ?, ?, ? where not exists (select 1 from locks)`,
      [row.lock_id, row.actor, row.host, row.pid, row.command, row.since],
    )
    void inserted
    const mine = await db('locks').where({lock_id: info.lockId}).first()
    if (!mine) return undefined
    return {info, release: async () => void (await removeLock(db, info.lockId))}
  }
  // Postgres: the advisory lock is the lock; the row only tells others who holds it.
  const conn = await db.client.acquireConnection()
  let held = false
  try {
    const res = await db.raw('select pg_try_advisory_lock(?::bigint) as ok', [PG_ADVISORY_KEY]).connection(conn)
    held = !!res.rows[0].ok
    if (!held) {
      await db.client.releaseConnection(conn)
      return undefined
    }
    // A row left by a holder that died is stale once we hold the advisory lock: replace it.
    await db.transaction(async (trx) => {
      await trx('locks').delete()
      await trx('locks').insert(row)
    })
  } catch (err) {
    if (held)
      await db
        .raw('select pg_advisory_unlock(?::bigint)', [PG_ADVISORY_KEY])
        .connection(conn)
        .catch(() => undefined)
    await db.client.releaseConnection(conn)
    throw err
  }
  return {
    info,
    release: async () => {
      try {
        await removeLock(db, info.lockId)
        await db.raw('select pg_advisory_unlock(?::bigint)', [PG_ADVISORY_KEY]).connection(conn)
      } finally {
        await db.client.releaseConnection(conn)
      }
    },
  }
}

/**
 * Takes the lock, waiting up to `timeoutMs` (0: fail at once) with a bounded poll; on refusal
 * throws StateLockedError naming the holder.
 */
export async function acquireLock(
  db: Knex,
  dialect: 'sqlite' | 'postgres',
  holder: LockHolder,
  opts: {timeoutMs: number; now?: () => Date; pollMs?: number},
): Promise<StateLockHandle> {
  const now = opts.now ?? (() => new Date())
  const started = Date.now()
  const poll = opts.pollMs ?? 250
  for (;;) {
    const handle = await tryAcquire(db, dialect, holder, now())
    if (handle) return handle
    const waited = Date.now() - started
    if (waited >= opts.timeoutMs) {
      const holders = await listLocks(db)
      throw new StateLockedError(holders[0], waited)
    }
    await new Promise((r) => setTimeout(r, Math.min(poll, Math.max(1, opts.timeoutMs - waited))))
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
