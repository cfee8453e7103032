/**
 * The state lock: one writer at a time. On SQLite it is a row in `locks`, inserted by a single
 * statement that only succeeds when the table is empty (SQLite runs it under its write lock, so two
 * processes cannot both get it). On Postgres it is a session advisory lock held on a dedicated
 * connection for the command's life, with the same row written for the holder's details.
 *
 * A holder that died leaves its row behind. When that holder was on this host and is no longer
 * running (see lock-holder-process.ts), the next run takes the lock over, and the takeover is an
 * audit row that `history` shows; on Postgres the advisory lock says the same (it ends with the
 * holder's session). A holder on another host cannot be checked from here: its lock stays until it
 * ends, or a person runs `secretctl state unlock LOCK_ID`, which refuses while the holder is
 * running on this host.
 */
import {randomUUID} from 'node:crypto'
import type {Knex} from 'knex'
import {StateError} from '../errors.js'
import {currentProcess, holderStatus, type HolderProcess, type HolderStatus} from './lock-holder-process.js'

export interface LockHolder extends HolderProcess {
  actor: string
  /** The command line that holds it, e.g. `apply --auto-approve` (flags only, never values). */
  command: string
}

export interface LockInfo extends LockHolder {
  lockId: string
  since: string
}

export interface StateLockHandle {
  readonly info: LockInfo
  /** The lock this run took over from a holder that is no longer running, if it did. */
  readonly tookOver?: LockInfo
  release(): Promise<void>
}

/** The audit address of the lock, as `history` shows it. */
export const LOCK_ADDRESS = 'state.lock'

/** Raised when another process holds the lock; names the holder. */
export class StateLockedError extends StateError {
  readonly holder: LockInfo | undefined
  constructor(holder: LockInfo | undefined, waitedMs: number, dialect: 'sqlite' | 'postgres' = 'sqlite') {
    const status = holder ? holderStatus(holder) : undefined
    const waited = waitedMs >= 1000 ? ` (waited ${Math.round(waitedMs / 1000)}s)` : ''
    super(
      holder
        ? `the state is locked by ${describeHolder(holder)}; lock ID ${holder.lockId}${waited}` +
            (status === 'running' ? '. That process is still running on this host' : '')
        : `the state is locked by another process${waited}`,
      // On Postgres the lock ends with the holder's session: removing the row would change nothing.
      holder && status === 'elsewhere' && dialect === 'sqlite'
        ? `wait for it to finish or retry with --lock-timeout DURATION; if that run died on ${holder.host}: secretctl state unlock ${holder.lockId} --force`
        : holder && status === 'running'
          ? `wait for pid ${holder.pid} to finish, or retry with --lock-timeout DURATION`
          : 'wait for it to finish, or retry with --lock-timeout DURATION',
    )
    this.holder = holder
  }
}

/** `e2e on host (pid 123, `apply`) since …`: who holds a lock, for messages. */
export function describeHolder(l: LockInfo): string {
  return `${l.actor} on ${l.host} (pid ${l.pid}, \`${l.command}\`) since ${l.since}`
}

/** What a person sees when a run took a dead holder's lock over. */
export function describeTakeover(previous: LockInfo): string {
  return `took over the state lock ${previous.lockId} of ${describeHolder(previous)}: that process is no longer running (recorded in history)`
}

/**
 * Refuses to remove by hand the lock of a process that is running on this host: two writers would
 * trample each other. Returns the holder's status otherwise.
 */
export function assertRemovable(lock: LockInfo): HolderStatus {
  const status = holderStatus(lock)
  if (status === 'running') {
    throw new StateError(
      `lock ${lock.lockId} is held by pid ${lock.pid} on this host (\`${lock.command}\`), which is still running; removing it would let two runs write the state at once`,
      `wait for pid ${lock.pid} to finish, or stop it (kill ${lock.pid}) and retry; --force is for holders that are gone or on another host`,
    )
  }
  return status
}

/** The advisory lock key secretctl uses on Postgres (any fixed 64-bit number; "secretctl" in ASCII, truncated). */
const PG_ADVISORY_KEY = '7310593858020254836'
/**
 * The key of this state: each schema (one per environment) has its own lock, so applying one
 * environment never waits for another; the `public` schema keeps the fixed key earlier versions used.
 */
const LOCK_KEY = `(case when current_schema() = 'public' then ${PG_ADVISORY_KEY}::bigint else ${PG_ADVISORY_KEY}::bigint # hashtext(current_schema())::bigint end)`

interface LockRow {
  lock_id: string
  actor: string
  host: string
  pid: number | string
  command: string
  since: string
  /** Absent in a state not yet migrated to 002 (read by `state unlock` before it migrates). */
  boot_id?: string | null
  started?: string | null
}

function toInfo(r: LockRow): LockInfo {
  return {
    lockId: r.lock_id,
    actor: r.actor,
    host: r.host,
    pid: Number(r.pid),
    command: r.command,
    since: r.since,
    bootId: r.boot_id ?? null,
    started: r.started ?? null,
  }
}

function toRow(info: LockInfo): Required<LockRow> {
  return {
    lock_id: info.lockId,
    actor: info.actor,
    host: info.host,
    pid: info.pid,
    command: info.command.slice(0, 255),
    since: info.since,
    boot_id: info.bootId ?? null,
    started: info.started ?? null,
  }
}

export async function listLocks(db: Knex): Promise<LockInfo[]> {
  const rows: LockRow[] = await db('locks').select('*').orderBy('since')
  return rows.map(toInfo)
}

/** Removes a lock; with `actor`, records who removed it (an audit row `history` shows), in the same transaction. */
export async function removeLock(db: Knex, lockId: string, opts: {actor?: string; at?: string} = {}): Promise<boolean> {
  return db.transaction(async (trx) => {
    const [row]: LockRow[] = await trx('locks').where({lock_id: lockId}).select('*')
    if (!row) return false
    await trx('locks').where({lock_id: lockId}).delete()
    if (opts.actor) {
      await trx('audit').insert(
        auditRow(opts.actor, opts.at ?? new Date().toISOString(), 'unlock', `removed the lock of ${describeHolder(toInfo(row))}`),
      )
    }
    return true
  })
}

function auditRow(actor: string, at: string, action: string, detail: string) {
  return {at, run_id: randomUUID(), actor, address: LOCK_ADDRESS, action, outcome: 'applied', detail}
}

function takeoverAudit(previous: LockInfo, mine: LockInfo) {
  return auditRow(
    mine.actor,
    mine.since,
    'take-over',
    `took over the lock of ${describeHolder(previous)}: that process was no longer running`,
  )
}

/** One attempt: the handle, or undefined when somebody else holds the lock. */
async function tryAcquire(db: Knex, dialect: 'sqlite' | 'postgres', holder: LockHolder, now: Date): Promise<StateLockHandle | undefined> {
  const me = holder.pid === process.pid ? currentProcess() : undefined
  const info: LockInfo = {
    ...holder,
    bootId: holder.bootId ?? me?.bootId ?? null,
    started: holder.started ?? me?.started ?? null,
    lockId: randomUUID(),
    since: now.toISOString(),
  }
  const row = toRow(info)
  if (dialect === 'sqlite') {
    await db.raw(
      `insert into locks (lock_id, actor, host, pid, command, since, boot_id, started) select ?, ?, ?, ?, ?, ?, ?, ? where not exists (select 1 from locks)`,
      [row.lock_id, row.actor, row.host, row.pid, row.command, row.since, row.boot_id, row.started],
    )
    const release = async () => void (await removeLock(db, info.lockId))
    if (await db('locks').where({lock_id: info.lockId}).first()) return {info, release}
    const [previous] = await listLocks(db)
    if (!previous || holderStatus(previous) !== 'gone') return undefined
    // The holder died on this host. Only the run whose delete removed its row takes over.
    const tookOver = await db.transaction(async (trx) => {
      if ((await trx('locks').where({lock_id: previous.lockId}).delete()) === 0) return false
      await trx('locks').insert(row)
      await trx('audit').insert(takeoverAudit(previous, info))
      return true
    })
    return tookOver ? {info, tookOver: previous, release} : undefined
  }
  // Postgres: the advisory lock is the lock; the row only tells others who holds it.
  const conn = await db.client.acquireConnection()
  let held = false
  let previous: LockInfo | undefined
  try {
    const res = await db.raw(`select pg_try_advisory_lock(${LOCK_KEY}) as ok`).connection(conn)
    held = !!res.rows[0].ok
    if (!held) {
      await db.client.releaseConnection(conn)
      return undefined
    }
    // A row left by a holder whose session ended is stale once we hold the advisory lock: take it over.
    await db.transaction(async (trx) => {
      const stale: LockRow[] = await trx('locks').select('*')
      previous = stale[0] ? toInfo(stale[0]) : undefined
      await trx('locks').delete()
      await trx('locks').insert(row)
      if (previous) await trx('audit').insert(takeoverAudit(previous, info))
    })
  } catch (err) {
    if (held)
      await db
        .raw(`select pg_advisory_unlock(${LOCK_KEY})`)
        .connection(conn)
        .catch(() => undefined)
    await db.client.releaseConnection(conn)
    throw err
  }
  return {
    info,
    ...(previous ? {tookOver: previous} : {}),
    release: async () => {
      try {
        await removeLock(db, info.lockId)
        await db.raw(`select pg_advisory_unlock(${LOCK_KEY})`).connection(conn)
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
      throw new StateLockedError(holders[0], waited, dialect)
    }
    await new Promise((r) => setTimeout(r, Math.min(poll, Math.max(1, opts.timeoutMs - waited))))
  }
}
