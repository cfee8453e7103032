/**
 * The state lock when a run dies holding it, through the CLI. A cron job killed once must not stop
 * reconciling forever: the next run finds the holder gone from this host, takes the lock over,
 * says so and records it in history. While the holder runs, neither a second apply nor
 * `state unlock --force` touches its lock; a holder on another host still refuses.
 *
 * The apply that holds the lock is made to wait, deterministically, on a server that accepts the
 * request and never answers; it is killed only once that request has arrived, so it dies holding
 * the lock. SQLite only: on Postgres the lock ends with the holder's session (test/unit/state).
 */
import {once} from 'node:events'
import {createServer, type IncomingMessage, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {execa, type ResultPromise} from 'execa'
import {afterEach, describe, expect, it} from 'vitest'
import {CLI, E2E_STATE, canary, queryState, secretctl, tempProject, writeFiles, assertAuditClean, assertNoCanary} from './support/cli.js'
import {docs, envSecret} from './support/manifests.js'

/** A server that takes every request and never answers; `firstRequest` settles when one arrives. */
async function silentServer(): Promise<{url: string; firstRequest: Promise<IncomingMessage>; close(): Promise<void>}> {
  const server: Server = createServer(() => {})
  const firstRequest = once(server, 'request').then(([req]) => req as IncomingMessage)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    firstRequest,
    close: async () => {
      server.closeAllConnections()
      server.close()
    },
  }
}

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

function baoAt(url: string): string {
  return `kind: SecretBackend
name: bao
type: openbao
config:
  url: ${url}
  tokenSecretRef: { name: bao-creds, key: token }
`
}

/** An apply that takes the lock and then waits forever on the silent server, still running. */
async function applyHoldingTheLock(): Promise<{dir: string; env: Record<string, string>; child: ResultPromise; lockId: string}> {
  const server = await silentServer()
  cleanups.push(server.close)
  const env = {BAO_TOKEN: canary('bao-token'), V: canary('value')}
  const dir = tempProject({
    'b.yaml': baoAt(server.url),
    's.yaml': docs(envSecret('bao-creds', {token: 'BAO_TOKEN'}), envSecret('app', {A: 'V'}, {backend: 'bao'})),
  })
  const child = execa('node', [CLI, 'apply', '--auto-approve'], {
    cwd: dir,
    env: {...env, NO_COLOR: '1', SECRETCTL_ACTOR: 'cron'},
    reject: false,
  })
  cleanups.push(async () => {
    child.kill('SIGKILL')
    await child
  })
  // Planning makes no request to a backend with nothing on it yet: this one comes from the apply, under the lock.
  await Promise.race([server.firstRequest, child.then((r) => Promise.reject(new Error(`apply ended early: ${r.stderr}`)))])
  const locks = await queryState<{lock_id: string; pid: number}>(dir, 'select lock_id, pid from locks')
  expect(locks.map((l) => Number(l.pid))).toEqual([child.pid])
  return {dir, env, child, lockId: locks[0]!.lock_id}
}

describe.skipIf(E2E_STATE === 'postgres')('a run that dies holding the state lock (SQLite)', () => {
  it('while it runs: a second apply and `state unlock --force` refuse, naming its pid; once killed, the next run takes over and says so', async () => {
    const {dir, env, child, lockId} = await applyHoldingTheLock()

    const second = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
    expect(second.exitCode).toBe(1)
    expect(second.stderr).toContain(`(pid ${child.pid}, \`apply\`)`)
    expect(second.stderr).toContain('That process is still running on this host')

    const unlock = await secretctl(['state', 'unlock', lockId, '--force'], {cwd: dir})
    expect(unlock.exitCode).toBe(1)
    expect(unlock.stderr).toContain(`is held by pid ${child.pid} on this host (\`apply\`), which is still running`)
    expect((await queryState<{lock_id: string}>(dir, 'select lock_id from locks')).map((l) => l.lock_id)).toEqual([lockId])

    child.kill('SIGKILL')
    const killed = await child
    expect(killed.signal).toBe('SIGKILL')
    assertNoCanary(String(killed.stdout) + String(killed.stderr), 'the killed apply')

    // The next scheduled run, with the backend that hung taken out of the manifests.
    writeFiles(dir, {'b.yaml': '# no backends\n', 's.yaml': docs(envSecret('bao-creds', {token: 'BAO_TOKEN'}), envSecret('app', {A: 'V'}))})
    const next = await secretctl(['reconcile'], {cwd: dir, env})
    expect(next.exitCode, next.stderr).toBe(0)
    expect(next.stderr).toContain(`Note: took over the state lock ${lockId} of cron on `)
    expect(next.stderr).toContain(`(pid ${child.pid}, \`apply\`)`)
    expect(next.stderr).toContain('that process is no longer running (recorded in history)')
    expect(await queryState(dir, 'select * from locks')).toEqual([])

    const history = await secretctl(['history', '--json'], {cwd: dir})
    const changes = (JSON.parse(history.stdout) as Array<{changes: Array<{address: string; action: string; detail?: string}>}>).flatMap(
      (r) => r.changes,
    )
    expect(changes).toContainEqual(
      expect.objectContaining({address: 'state.lock', action: 'take-over', detail: expect.stringContaining(`pid ${child.pid}`)}),
    )
    const table = await secretctl(['history'], {cwd: dir})
    expect(table.stdout).toContain('take-over state.lock')
    await assertAuditClean(dir)
  }, 120_000)

  it('a lock held on another host still refuses; `state unlock --force` removes it and history records that', async () => {
    const dir = tempProject({'s.yaml': envSecret('app', {A: 'V'})})
    const env = {V: canary('value')}
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    await queryState(
      dir,
      "insert into locks (lock_id, actor, host, pid, command, since) values ('far-away', 'ci', 'build-7.example', 1, 'apply', '2025-01-01T00:00:00.000Z')",
    )
    const refused = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
    expect(refused.exitCode).toBe(1)
    expect(refused.stderr).toContain('the state is locked by ci on build-7.example (pid 1, `apply`)')
    expect(refused.stderr).toContain('secretctl state unlock far-away --force')

    const unlock = await secretctl(['state', 'unlock', 'far-away', '--force'], {cwd: dir})
    expect(unlock.exitCode, unlock.stderr).toBe(0)
    expect(unlock.stdout).toContain('Lock removed.')
    const history = await secretctl(['history'], {cwd: dir})
    expect(history.stdout).toContain('unlock state.lock')
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
  })
})
