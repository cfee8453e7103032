/**
 * The state on a real PostgreSQL server (started by the test setup): the core workflow, the
 * password masked everywhere, the advisory lock between two runners, and the least-privilege roles
 * that `secretctl rbac print` grants (planner, applier, rotator).
 */
import {describe, it, expect, beforeAll, afterAll} from 'vitest'
import {execa} from 'execa'
import {randomBytes} from 'node:crypto'
import pg from 'pg'
import {secretctl, tempProject, writeFiles, canary, CLI, assertNoCanary} from './support/cli.js'
import {plaintextBackend, envSecret, docs} from './support/manifests.js'
import {startBao, type BaoTarget} from './support/bao.js'
import {waitFor} from '../support/wait-for.js'

const adminUrl = process.env.SECRETCTL_TEST_PG
if (!adminUrl) throw new Error('SECRETCTL_TEST_PG is not set: the vitest globalSetup (test/support/global-postgres.ts) starts a server')

async function sql<T = any>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({connectionString: url})
  await c.connect()
  try {
    return (await c.query(text, params)).rows as T[]
  } finally {
    await c.end()
  }
}

function withDb(url: string, db: string, user?: {name: string; password: string}): string {
  const u = new URL(url)
  u.pathname = `/${db}`
  if (user) {
    u.username = user.name
    u.password = user.password
  }
  return u.toString()
}

async function freshDatabase(): Promise<{db: string; url: string}> {
  const db = `secretctl_e2e_${randomBytes(5).toString('hex')}`
  await sql(adminUrl!, `CREATE DATABASE ${db}`)
  return {db, url: withDb(adminUrl!, db)}
}

async function createRole(db: string, role: 'planner' | 'applier' | 'rotator', dir: string): Promise<string> {
  const name = `secretctl_${role}_${randomBytes(4).toString('hex')}`
  const password = randomBytes(12).toString('hex')
  await sql(adminUrl!, `CREATE ROLE ${name} LOGIN PASSWORD '${password}'`)
  const grants = await secretctl(['rbac', 'print', '--role', role, '--db-role', name], {cwd: dir})
  expect(grants.exitCode, grants.stderr).toBe(0)
  const sqlText = grants.stdout
    .split('\n')
    .filter((l) => !l.startsWith('#') && !/^path |^\s|^}/.test(l))
    .join('\n')
  await sql(withDb(adminUrl!, db), sqlText)
  return withDb(adminUrl!, db, {name, password})
}

// This file is about Postgres already; the Postgres pass of the e2e suite does not run it twice.
const ONCE = process.env.SECRETCTL_E2E_STATE !== 'postgres'

describe.runIf(ONCE)('Postgres state', () => {
  it('init → apply → plan converged → move → history, with SECRETCTL_STATE', async () => {
    const {url} = await freshDatabase()
    const dir = tempProject({'b.yaml': plaintextBackend('other'), 's.yaml': docs(envSecret('a', {A: 'V1'}), envSecret('b', {B: 'V2'}))})
    const env = {SECRETCTL_STATE: url, V1: canary('pg1'), V2: canary('pg2')}
    const apply = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
    expect(apply.exitCode, apply.stderr).toBe(0)
    expect((await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})).exitCode).toBe(0)
    writeFiles(dir, {'s.yaml': docs(envSecret('a', {A: 'V1'}, {backend: 'other'}), envSecret('b', {B: 'V2'}))})
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    const rows = await sql<{name: string; backend: string; data: string}>(
      url,
      'select s.name, b.name as backend, s.data from secrets s join backends b on b.id = s.backend_id order by s.name',
    )
    expect(rows.map((r) => [r.name, r.backend, JSON.parse(r.data)])).toEqual([
      ['a', 'other', {A: env.V1}],
      ['b', 'default', {B: env.V2}],
    ])
    const meta = await sql<{serial: number}>(url, 'select serial from state_meta')
    expect(Number(meta[0]!.serial)).toBe(2)
    const history = JSON.parse((await secretctl(['history', '--json'], {cwd: dir, env})).stdout)
    expect(history).toHaveLength(2)
    assertNoCanary(JSON.stringify(await sql(url, 'select * from audit')), 'the Postgres audit table')
  })

  it('masks the password in every message', async () => {
    const {db} = await freshDatabase()
    const password = canary('pgpass')
    const bad = withDb(adminUrl!, db, {name: 'secretctl', password})
    const dir = tempProject({'s.yaml': envSecret('a', {A: 'V1'})})
    const r = await secretctl(['plan', '--state', bad], {cwd: dir, env: {V1: 'x'}})
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(/postgres:\/\/secretctl:\*\*\*@127\.0\.0\.1/)
  })

  it('two runners on one Postgres state: the advisory lock lets exactly one through', async () => {
    const {url} = await freshDatabase()
    const dir = tempProject({'s.yaml': envSecret('a', {A: 'V1'})})
    const env = {SECRETCTL_STATE: url, V1: canary('pglock')}
    const holder = execa('script', ['-qfec', `node ${CLI} apply`, '/dev/null'], {
      cwd: dir,
      env: {...env, SECRETCTL_ACTOR: 'pg-holder'},
      reject: false,
      stdin: 'pipe',
    })
    let exited = false
    void holder.then(() => (exited = true))
    await waitFor('the holder to take the state lock', async () => (await sql(url, 'select * from locks').catch(() => [])).length > 0, {
      stop: () => (exited ? 'it exited' : undefined),
    })
    const refused = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
    expect(refused.exitCode).toBe(1)
    expect(refused.stderr).toMatch(/the state is locked by pg-holder/)
    holder.stdin!.write('yes\n')
    expect((await holder).exitCode).toBe(0)
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).stdout).toContain('No changes.')
    expect(Number((await sql<{serial: number}>(url, 'select serial from state_meta'))[0]!.serial)).toBe(1)
  })
})

describe.runIf(ONCE)('least-privilege roles', () => {
  let bao: BaoTarget
  beforeAll(async () => {
    bao = await startBao()
  })
  afterAll(async () => bao?.close())

  it('planner plans without reading values and cannot apply; applier applies', async () => {
    const {db, url} = await freshDatabase()
    const dir = tempProject({'s.yaml': envSecret('a', {A: 'V1'})})
    const env = {V1: canary('rbac')}
    expect((await secretctl(['apply', '--auto-approve', '--state', url], {cwd: dir, env})).exitCode).toBe(0)
    const planner = await createRole(db, 'planner', dir)
    const applier = await createRole(db, 'applier', dir)
    // The column privilege really hides the values from the planner.
    await expect(sql(planner, 'select data from secrets')).rejects.toThrow(/permission denied/)

    writeFiles(dir, {'s.yaml': docs(envSecret('a', {A: 'V1'}), envSecret('b', {B: 'V1'}))})
    const plan = await secretctl(['plan', '--detailed-exitcode', '--state', planner], {cwd: dir, env})
    expect(plan.exitCode, plan.stderr).toBe(2)
    expect(plan.stdout).toContain('+ secret.b')

    const before = await sql(url, 'select name, data, updated_at from secrets order by name')
    const refused = await secretctl(['apply', '--auto-approve', '--state', planner], {cwd: dir, env})
    expect(refused.exitCode).toBe(1)
    expect(refused.stderr).toMatch(/the state database refused this command: permission denied for table locks/)
    expect(refused.stderr).toMatch(/applier role/)
    expect(await sql(url, 'select name, data, updated_at from secrets order by name')).toEqual(before)

    const applied = await secretctl(['apply', '--auto-approve', '--state', applier], {cwd: dir, env})
    expect(applied.exitCode, applied.stderr).toBe(0)
  })

  it('rotator rotates a backend token and can do nothing more', async () => {
    if (!bao.testServer) return console.info('rotator test skipped: it needs the OpenBao test server')
    const {db, url} = await freshDatabase()
    const dir = tempProject()
    const boot = await secretctl(
      [
        'bootstrap',
        'openbao',
        'bao',
        '--url',
        bao.url,
        '--path-prefix',
        `${bao.prefix}/rot`,
        '--policy-name',
        `${bao.prefix}-rot`,
        '--token-role',
        `${bao.prefix}-rot`,
        '--admin-token-stdin',
        '--no-default',
        '--state',
        url,
      ],
      {cwd: dir, input: bao.rootToken},
    )
    expect(boot.exitCode, boot.stderr).toBe(0)
    const rotator = await createRole(db, 'rotator', dir)
    const rotated = await secretctl(['rotate', 'backend', 'bao', '--state', rotator], {cwd: dir})
    expect(rotated.exitCode, rotated.stdout + rotated.stderr).toBe(0)
    writeFiles(dir, {'app.yaml': envSecret('app', {K: 'V1'})})
    const apply = await secretctl(['apply', '--auto-approve', '--state', rotator], {cwd: dir, env: {V1: canary('rot')}})
    expect(apply.exitCode).toBe(1)
    expect(apply.stdout + apply.stderr).toMatch(/permission denied/)
    expect(await sql(url, "select name from secrets where name = 'app'")).toEqual([])
  })
})
