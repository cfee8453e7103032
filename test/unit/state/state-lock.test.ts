/**
 * The state lock when its holder is gone: a holder that died on this host is taken over (and the
 * takeover recorded in the audit table), a pid now used by another process is not mistaken for
 * the holder, a holder still running here or on another host (SQLite) refuses, and removing a lock
 * by hand refuses while its holder runs on this host. On Postgres the advisory lock decides: a row
 * left by a session that ended is taken over wherever it came from.
 */
import {hostname} from 'node:os'
import {execa} from 'execa'
import type {Knex} from 'knex'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {StateError} from '../../../src/errors.js'
import {currentProcess, holderStatus} from '../../../src/state/lock-holder-process.js'
import {openState} from '../../../src/state/open-state.js'
import {assertRemovable, LOCK_ADDRESS, StateLockedError, type LockInfo} from '../../../src/state/state-lock.js'
import type {StateStore} from '../../../src/state/types.js'
import {stateFactories} from '../../support/state-factories.js'

const me = {actor: 'tester', host: hostname(), pid: process.pid, command: 'apply'}

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = execa('node', ['-e', ''])
  const pid = child.pid!
  await child
  return pid
}

function dbOf(state: StateStore): Knex {
  return (state as unknown as {db: Knex}).db
}

async function plantLock(state: StateStore, holder: Partial<LockInfo> & {pid: number}): Promise<string> {
  const lockId = `left-by-${holder.pid}`
  await dbOf(state)('locks').insert({
    lock_id: lockId,
    actor: holder.actor ?? 'cron',
    host: holder.host ?? hostname(),
    pid: holder.pid,
    command: holder.command ?? 'reconcile --rotate',
    since: '2025-01-01T00:00:00.000Z',
    boot_id: holder.bootId ?? null,
    started: holder.started ?? null,
  })
  return lockId
}

describe('lock holder processes', () => {
  it('tells a running holder from one that is gone, a reused pid, another boot and another host', async () => {
    const self = currentProcess()
    expect(holderStatus(self)).toBe('running')
    expect(holderStatus({...self, host: 'elsewhere.example'})).toBe('elsewhere')
    expect(holderStatus({host: hostname(), pid: await deadPid()})).toBe('gone')
    // Rows from before the start time was recorded: the pid alone says running.
    expect(holderStatus({host: hostname(), pid: process.pid})).toBe('running')
    if (self.started) expect(holderStatus({...self, started: String(Number(self.started) + 1)})).toBe('gone')
    if (self.bootId) expect(holderStatus({...self, bootId: 'another-boot'})).toBe('gone')
  })

  it('refuses to remove by hand the lock of a holder running on this host, naming its pid', () => {
    const running: LockInfo = {...currentProcess(), actor: 'ci', command: 'apply', lockId: 'L1', since: 'now'}
    const err = (() => {
      try {
        assertRemovable(running)
      } catch (e) {
        return e
      }
    })() as StateError
    expect(err).toBeInstanceOf(StateError)
    expect(err.message).toBe(
      `lock L1 is held by pid ${process.pid} on this host (\`apply\`), which is still running; removing it would let two runs write the state at once`,
    )
    expect(assertRemovable({...running, host: 'elsewhere.example'})).toBe('elsewhere')
  })
})

describe.each(stateFactories().map((f) => [f.name, f] as const))('state lock (%s)', (_name, factory) => {
  let state: StateStore
  beforeEach(async () => {
    state = await factory.create()
  })
  afterEach(() => factory.cleanup())

  it('records which process holds it: host, pid, boot id and start time', async () => {
    const handle = await state.acquireLock(me, {timeoutMs: 0})
    const [row] = await state.listLocks()
    expect(row).toMatchObject({host: hostname(), pid: process.pid, bootId: currentProcess().bootId, started: currentProcess().started})
    expect(handle.tookOver).toBeUndefined()
    await handle.release()
    expect(await state.listLocks()).toEqual([])
  })

  it('takes over the lock of a holder that died on this host, and records it in the audit table', async () => {
    const pid = await deadPid()
    const lockId = await plantLock(state, {pid})
    const handle = await state.acquireLock(me, {timeoutMs: 0})
    expect(handle.tookOver).toMatchObject({lockId, pid, host: hostname(), command: 'reconcile --rotate'})
    expect((await state.listLocks()).map((l) => l.lockId)).toEqual([handle.info.lockId])
    const [entry] = await state.listAudit()
    expect(entry).toMatchObject({actor: 'tester', address: LOCK_ADDRESS, action: 'take-over', outcome: 'applied'})
    expect(entry!.detail).toContain(`pid ${pid}`)
    await handle.release()
  })

  it('a pid now used by another process is not the holder: taken over', async () => {
    const lockId = await plantLock(state, {pid: process.pid, started: '1', bootId: currentProcess().bootId})
    const handle = await state.acquireLock(me, {timeoutMs: 0})
    expect(handle.tookOver?.lockId).toBe(lockId)
    await handle.release()
  })

  it('removing a lock by hand is recorded with who did it', async () => {
    const lockId = await plantLock(state, {pid: await deadPid()})
    expect(await state.removeLock(lockId, {actor: 'ops'})).toBe(true)
    expect(await state.listLocks()).toEqual([])
    expect(await state.listAudit()).toEqual([expect.objectContaining({actor: 'ops', address: LOCK_ADDRESS, action: 'unlock'})])
    expect(await state.removeLock(lockId, {actor: 'ops'})).toBe(false)
  })

  if (factory.dialect === 'sqlite') {
    it('refuses while the holder runs on this host, or runs on another host, naming it', async () => {
      for (const holder of [
        {pid: process.pid, started: currentProcess().started},
        {pid: process.pid}, // a row without a start time: the live pid is taken at its word
        {pid: await deadPid(), host: 'elsewhere.example'},
      ]) {
        const lockId = await plantLock(state, holder)
        const err = (await state.acquireLock(me, {timeoutMs: 0}).catch((e: unknown) => e)) as StateLockedError
        expect(err).toBeInstanceOf(StateLockedError)
        expect(err.holder?.lockId).toBe(lockId)
        if (holder.host) {
          expect(err.message).toContain('on elsewhere.example')
          expect(err.hint).toContain(`secretctl state unlock ${lockId} --force`)
        } else {
          expect(err.message).toContain(`(pid ${process.pid}, \`reconcile --rotate\`)`)
          expect(err.message).toContain('That process is still running on this host')
        }
        expect((await state.listLocks()).map((l) => l.lockId)).toEqual([lockId])
        await state.removeLock(lockId)
      }
      expect(await state.listAudit()).toEqual([])
    })
  } else {
    it('refuses while another session holds the advisory lock; a row whose session ended is taken over, from any host', async () => {
      const {url} = await factory.freshUrl()
      const one = await openState({url, dir: '/'})
      const two = await openState({url, dir: '/'})
      try {
        const first = await one.acquireLock({...me, command: 'apply one'}, {timeoutMs: 0})
        await expect(two.acquireLock(me, {timeoutMs: 0})).rejects.toThrow(StateLockedError)
        await first.release()
        await plantLock(one, {pid: 4_000_000, host: 'elsewhere.example'})
        const handle = await two.acquireLock(me, {timeoutMs: 0})
        expect(handle.tookOver).toMatchObject({host: 'elsewhere.example', pid: 4_000_000})
        expect((await two.listAudit())[0]).toMatchObject({action: 'take-over', address: LOCK_ADDRESS})
        await handle.release()
      } finally {
        await one.close()
        await two.close()
      }
    })
  }
})
