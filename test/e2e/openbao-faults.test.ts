/**
 * Migration to OpenBao under faults, least privilege and drift. Fault injection needs the project's
 * test server; against a real OpenBao those tests are skipped and say so.
 */
import {describe, it, expect, beforeAll, afterAll} from 'vitest'
import {execa} from 'execa'
import {
  secretctl,
  tempProject,
  writeFiles,
  canary,
  queryState,
  assertNoCanary,
  assertAuditClean,
  waitForPostgresLocksReleased,
  CLI,
} from './support/cli.js'
import {within} from '../support/wait-for.js'
import {envSecret, docs} from './support/manifests.js'
import {startBao, baoBackend, narrowPolicy, plannerPolicy, REAL_BAO, type BaoTarget} from './support/bao.js'

let bao: BaoTarget
beforeAll(async () => {
  bao = await startBao()
  if (REAL_BAO) console.info('Fault-injection tests skipped: they need the OpenBao test server (unset SECRETCTL_TEST_BAO_ADDR to run them)')
})
afterAll(async () => bao?.close())

let projects = 0
async function project(n: number, opts: {ttl?: string} = {}) {
  const tag = `t${++projects}`
  const policy = `${bao.prefix}-narrow`
  await bao.putPolicy(policy, narrowPolicy(bao.prefix))
  const token = await bao.createToken([policy], {ttl: opts.ttl ?? '24h'})
  const names = Array.from({length: n}, (_, i) => `${tag}-app-${String(i).padStart(3, '0')}`)
  const env: Record<string, string> = {BAO_TOKEN: token}
  for (const name of names) env[`V_${name.replace(/-/g, '_')}`] = canary(name)
  const manifests = (backend?: string) => ({
    'backends.yaml': baoBackend(bao),
    'secrets.yaml': docs(
      envSecret('bao-creds', {token: 'BAO_TOKEN'}),
      ...names.map((name) => envSecret(name, {VALUE: `V_${name.replace(/-/g, '_')}`}, {backend})),
    ),
  })
  const dir = tempProject(manifests())
  const first = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
  expect(first.exitCode, first.stderr).toBe(0)
  const expected = (name: string) => env[`V_${name.replace(/-/g, '_')}`]
  return {dir, env, names, manifests, expected, token}
}

/** Every secret is on the backend its row names, with its value; returns name → backend. */
async function assertEveryValueHome(
  dir: string,
  names: string[],
  expected: (n: string) => string | undefined,
): Promise<Map<string, string>> {
  const rows = await queryState<{name: string; backend: string; data: string | null}>(
    dir,
    'select s.name, b.name as backend, s.data from secrets s join backends b on b.id = s.backend_id',
  )
  const placement = new Map<string, string>()
  for (const name of names) {
    const row = rows.find((r) => r.name === name)!
    expect(row, name).toBeDefined()
    placement.set(name, row.backend)
    if (row.backend === 'default') expect(JSON.parse(row.data!)).toEqual({VALUE: expected(name)})
    else {
      expect(row.data).toBeNull()
      expect(await bao.readSecret(name)).toEqual({VALUE: expected(name)})
    }
  }
  return placement
}

async function unlockIfKilled(dir: string): Promise<void> {
  for (const lock of await queryState<{lock_id: string}>(dir, 'select lock_id from locks')) {
    expect((await secretctl(['state', 'unlock', lock.lock_id, '--force'], {cwd: dir})).exitCode).toBe(0)
  }
}

describe.skipIf(REAL_BAO)('faults during a move to OpenBao (test server)', () => {
  it('SIGKILL at many points of a 100-secret move: every value stays intact and each re-run converges', async () => {
    const {dir, env, names, manifests, expected} = await project(100)
    writeFiles(dir, manifests('bao'))
    // Each kill point is a request of the move, held by the server until the apply is dead, then
    // dropped unanswered: writes to OpenBao going there, reads of the values and deletes of the
    // copies left there coming home. The other requests in flight meanwhile go through.
    const kills: {target: string | undefined; method: string; nth: number}[] = [
      {target: 'bao', method: 'POST', nth: 1},
      {target: undefined, method: 'GET', nth: 40},
      {target: 'bao', method: 'POST', nth: 50},
      {target: undefined, method: 'DELETE', nth: 1},
      {target: 'bao', method: 'POST', nth: 100},
      {target: undefined, method: 'DELETE', nth: 60},
      {target: 'bao', method: 'POST', nth: 80},
    ]
    for (const {target, method, nth} of kills) {
      writeFiles(dir, manifests(target))
      const at = bao.testServer!.faults.hold({
        method,
        path: `secret/${method === 'DELETE' ? 'metadata' : 'data'}/${bao.prefix}/*`,
        nth,
        times: 1,
      })
      const child = execa('node', [CLI, 'apply', '--auto-approve'], {
        cwd: dir,
        env: {...env, NO_COLOR: '1', SECRETCTL_ACTOR: 'e2e'},
        reject: false,
      })
      const ended = child.then((r) => Promise.reject(new Error(`the apply ended before its ${method} number ${nth}: ${r.stderr}`)))
      ended.catch(() => {})
      await within(Promise.race([at.whenParked(1), ended]), `the apply's ${method} number ${nth}`)
      child.kill('SIGKILL')
      const r = await child
      at.drop()
      expect(r.signal).toBe('SIGKILL')
      assertNoCanary(String(r.stdout) + String(r.stderr), 'a killed apply')
      await assertEveryValueHome(dir, names, expected)
      await waitForPostgresLocksReleased(dir)
      await unlockIfKilled(dir)
      const rerun = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
      expect(rerun.exitCode, rerun.stderr).toBe(0)
      const placement = await assertEveryValueHome(dir, names, expected)
      expect([...placement.values()].every((b) => b === (target ?? 'default'))).toBe(true)
      // No duplicate: after a move home, OpenBao holds nothing under the prefix.
      if (!target) for (const name of names.slice(0, 10)) expect(await bao.readSecret(name)).toBeUndefined()
    }
    await assertAuditClean(dir)
  }, 1_200_000)

  it('writes failing with 500: those secrets fail and stay home with their data, the rest move, exit 1', async () => {
    const {dir, env, names, manifests, expected} = await project(10)
    writeFiles(dir, manifests('bao'))
    const failing = names.slice(0, 3)
    const handles = failing.map((name) =>
      bao.testServer!.faults.add({type: 'fail', method: 'POST', path: `secret/data/${bao.prefix}/${name}`, status: 500}),
    )
    const r = await secretctl(['apply', '--auto-approve', '--json'], {cwd: dir, env})
    expect(r.exitCode).toBe(1)
    const {result} = JSON.parse(r.stdout)
    for (const c of result.changes) {
      const name = c.address.replace('secret.', '')
      expect(c.outcome, c.address).toBe(failing.includes(name) ? 'failed' : 'applied')
      if (failing.includes(name)) expect(c.detail).toMatch(/answered 500/)
    }
    const placement = await assertEveryValueHome(dir, names, expected)
    for (const name of names) expect(placement.get(name)).toBe(failing.includes(name) ? 'default' : 'bao')
    for (const h of handles) h.remove?.()
    const rerun = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
    expect(rerun.exitCode, rerun.stderr).toBe(0)
    expect([...(await assertEveryValueHome(dir, names, expected)).values()].every((b) => b === 'bao')).toBe(true)
  })

  it('an expired token: a clear permission error naming the path, and nothing half-done', async () => {
    const {dir, env, names, manifests, expected} = await project(5, {ttl: '1h'})
    bao.testServer!.clock.advance(2 * 3600_000)
    writeFiles(dir, manifests('bao'))
    const r = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toMatch(/permission denied .*secret\/(metadata|data)\//)
    const placement = await assertEveryValueHome(dir, names, expected)
    expect([...placement.values()].every((b) => b === 'default')).toBe(true)
    for (const name of names) expect(await bao.readSecret(name)).toBeUndefined()
  })

  it('an under-privileged token (read only): refused writes are named, nothing moves', async () => {
    const {dir, env, names, manifests, expected} = await project(3)
    await bao.putPolicy(
      `${bao.prefix}-ro`,
      `path "secret/data/${bao.prefix}/*" { capabilities = ["read"] }\npath "secret/metadata/${bao.prefix}/*" { capabilities = ["read", "list"] }\n`,
    )
    const readOnly = await bao.createToken([`${bao.prefix}-ro`])
    writeFiles(dir, manifests('bao'))
    const r = await secretctl(['apply', '--auto-approve'], {cwd: dir, env: {...env, SECRETCTL_BACKEND_TOKEN_BAO: readOnly}})
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toMatch(/permission denied writing secret\/data\//)
    expect([...(await assertEveryValueHome(dir, names, expected)).values()].every((b) => b === 'default')).toBe(true)
  })

  it('sealed mid-run: the rest fail, and a re-run after unseal finishes', async () => {
    const {dir, env, names, manifests, expected} = await project(12)
    writeFiles(dir, manifests('bao'))
    bao.testServer!.faults.sealAfter(4, {method: 'POST', path: `secret/data/${bao.prefix}/*`})
    const r = await secretctl(['apply', '--auto-approve', '--concurrency', '1', '--json'], {cwd: dir, env})
    expect(r.exitCode).toBe(1)
    const {result} = JSON.parse(r.stdout)
    const failed = result.changes.filter((c: {outcome: string}) => c.outcome !== 'applied')
    expect(failed.length).toBeGreaterThan(0)
    expect(failed.every((c: {detail: string}) => /sealed/.test(c.detail))).toBe(true)
    bao.testServer!.unseal()
    bao.testServer!.faults.clear()
    await assertEveryValueHome(dir, names, expected)
    const rerun = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
    expect(rerun.exitCode, rerun.stderr).toBe(0)
    expect([...(await assertEveryValueHome(dir, names, expected)).values()].every((b) => b === 'bao')).toBe(true)
  })
})

describe('least privilege and drift', () => {
  it('plan works with a metadata read/list token and reads no value; a direct change on the server shows as drift', async () => {
    const {dir, env, names, manifests} = await project(3)
    writeFiles(dir, manifests('bao'))
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    await bao.putPolicy(`${bao.prefix}-planner`, plannerPolicy(bao.prefix))
    const planner = await bao.createToken([`${bao.prefix}-planner`])
    const logStart = bao.testServer?.log.length ?? 0

    const clean = await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env: {...env, SECRETCTL_BACKEND_TOKEN_BAO: planner}})
    expect(clean.exitCode, clean.stderr + clean.stdout).toBe(0)
    if (bao.testServer) {
      const during = bao.testServer.log.slice(logStart)
      expect(during.length).toBeGreaterThanOrEqual(names.length)
      expect(during.filter((e) => e.readSecretData)).toEqual([])
    }

    const outside = await bao.api('POST', `secret/data/${bao.prefix}/${names[1]}`, {data: {VALUE: canary('outside')}})
    expect(outside.status).toBe(200)
    const drift = await secretctl(['plan', '--json'], {cwd: dir, env: {...env, SECRETCTL_BACKEND_TOKEN_BAO: planner}})
    expect(drift.exitCode, drift.stderr).toBe(0)
    const p = JSON.parse(drift.stdout)
    expect(p.changes).toEqual([
      expect.objectContaining({
        address: `secret.${names[1]}`,
        action: 'update',
        drift: true,
        reason: 'drift: bao holds version 2, state recorded 1',
      }),
    ])

    // Apply puts the manifest's value back (the plan showed the drift; check-and-set against what it saw).
    const fixed = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
    expect(fixed.exitCode, fixed.stderr).toBe(0)
    expect((await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})).exitCode).toBe(0)
  })

  it('a 403 on plan is an error naming the path, never a planned create or delete', async () => {
    const {dir, env, manifests} = await project(2)
    writeFiles(dir, manifests('bao'))
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    await bao.putPolicy(`${bao.prefix}-nothing`, `path "sys/nothing" { capabilities = ["read"] }\n`)
    const useless = await bao.createToken([`${bao.prefix}-nothing`])
    const r = await secretctl(['plan', '--json'], {cwd: dir, env: {...env, SECRETCTL_BACKEND_TOKEN_BAO: useless}})
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/permission denied reading metadata at secret\/metadata\//)
  })
})
