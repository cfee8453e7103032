/**
 * The state on a real PostgreSQL server (started by the test setup): the core workflow, the
 * password masked everywhere, the advisory lock between two runners, and the least-privilege roles
 * that `secretctl rbac print` grants (planner, applier, rotator).
 */
import {describe, it, expect, beforeAll, afterAll} from 'vitest'
import {execa} from 'execa'
import {secretctl, tempProject, writeFiles, canary, CLI, assertNoCanary} from './support/cli.js'
import {plaintextBackend, envSecret, docs} from './support/manifests.js'
import {startBao, type BaoTarget} from './support/bao.js'
import {createRole, freshDatabase, sql} from './support/postgres-roles.js'
import {withDb} from '../support/postgres-url.js'
import {waitFor} from '../support/wait-for.js'

const adminUrl = process.env.SECRETCTL_TEST_PG
if (!adminUrl) throw new Error('SECRETCTL_TEST_PG is not set: the vitest globalSetup (test/support/global-postgres.ts) starts a server')

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
    // Refused before anything is written, in the user's terms (issue 11, item 2).
    expect(apply.stderr).toContain('would not let this role record every change of the plan, so none was applied')
    expect(apply.stderr).toContain('INSERT on secrets (needed by secret.app)')
    expect(await sql(url, "select name from secrets where name = 'app'")).toEqual([])

    // The same class: a bootstrap the rotator could not record is refused before the wizard makes anything on the server.
    const policy = `${bao.prefix}-rot2`
    const boot2 = await secretctl(
      [
        ...['bootstrap', 'openbao', 'bao2', '--url', bao.url, '--path-prefix', `${bao.prefix}/rot2`, '--policy-name', policy],
        ...['--token-role', policy, '--admin-token-stdin', '--no-default', '--state', rotator],
      ],
      {cwd: dir, input: bao.rootToken},
    )
    expect(boot2.exitCode).toBe(1)
    expect(boot2.stderr).toMatch(
      /would not let this role record the openbao backend bao2 and its token secret bao2-token \(it lacks INSERT on backends/,
    )
    expect(boot2.stderr).not.toMatch(/insert into|permission denied for table/)
    expect((await bao.api('GET', `sys/policies/acl/${policy}`)).status).toBe(404)
    expect(await sql(url, "select name from backends where name = 'bao2'")).toEqual([])
  })

  it('a generated value due on OpenBao, for each role of rbac print: only a role that can record it writes it', async () => {
    if (!bao.testServer) return console.info('roles test skipped: it needs the OpenBao test server')
    const {db, url} = await freshDatabase()
    const dir = tempProject()
    const prefix = `${bao.prefix}/due`
    const boot = await secretctl(
      [
        ...['bootstrap', 'openbao', 'bao', '--url', bao.url, '--path-prefix', prefix, '--policy-name', `${bao.prefix}-due`],
        ...['--token-role', `${bao.prefix}-due`, '--admin-token-stdin', '--no-default', '--state', url],
      ],
      {cwd: dir, input: bao.rootToken},
    )
    expect(boot.exitCode, boot.stderr).toBe(0)
    writeFiles(dir, {'app.yaml': 'kind: Secret\nname: app\nbackend: bao\ndata:\n  S: { generate: { length: 32, rotateEvery: 1h } }\n'})
    const created = await secretctl(['apply', '--auto-approve', '--state', url], {cwd: dir})
    expect(created.exitCode, created.stdout + created.stderr).toBe(0)
    const version = async () => (await bao.api('GET', `secret/metadata/${prefix}/app`)).body.data.current_version as number
    expect(await version()).toBe(1)
    // Written long ago: due under --rotate.
    const [row] = await sql<{keys: string}>(url, "select keys from secrets where name = 'app'")
    const keys = JSON.parse(row!.keys)
    keys.S.writtenAt = '2000-01-01T00:00:00.000Z'
    await sql(url, "update secrets set keys = $1 where name = 'app'", [JSON.stringify(keys)])
    const roles = {
      planner: await createRole(db, 'planner', dir),
      applier: await createRole(db, 'applier', dir),
      rotator: await createRole(db, 'rotator', dir),
    }

    // rotator: may rotate tokens, not record a secret's new version: refused before OpenBao is written.
    const rotator = await secretctl(['reconcile', '--rotate', '--state', roles.rotator], {cwd: dir})
    expect(rotator.exitCode).toBe(1)
    expect(rotator.stderr).toMatch(/would not let this role record every change of the plan, so none was applied/)
    expect(rotator.stderr).toContain('INSERT on secrets (needed by secret.app)')
    expect(rotator.stderr).toContain('secretctl rbac print --role applier')
    expect(rotator.stderr).not.toMatch(/insert into|permission denied for table/)
    expect(await version()).toBe(1)

    // planner: may not read the trust root's token (item 20), nor take the lock.
    const planner = await secretctl(['reconcile', '--rotate', '--state', roles.planner], {cwd: dir})
    expect(planner.exitCode).toBe(1)
    expect(planner.stderr).toContain('SECRETCTL_BACKEND_TOKEN_BAO')
    expect(planner.stderr).toContain('secretctl rbac print --role planner --backend bao')
    const own = {SECRETCTL_BACKEND_TOKEN_BAO: bao.rootToken}
    const plan = await secretctl(['plan', '--rotate', '--detailed-exitcode', '--state', roles.planner], {cwd: dir, env: own})
    expect(plan.exitCode, plan.stderr).toBe(2)
    expect(plan.stdout).toContain('~ secret.app')
    const refused = await secretctl(['reconcile', '--rotate', '--state', roles.planner], {cwd: dir, env: own})
    expect(refused.exitCode).toBe(1)
    expect(refused.stderr).toMatch(/the state database refused this command: permission denied for table locks/)
    expect(await version()).toBe(1)

    // applier: rotates and records it.
    const applier = await secretctl(['reconcile', '--rotate', '--state', roles.applier], {cwd: dir})
    expect(applier.exitCode, applier.stdout + applier.stderr).toBe(0)
    expect(await version()).toBe(2)
    expect((await secretctl(['plan', '--rotate', '--detailed-exitcode', '--state', url], {cwd: dir})).exitCode).toBe(0)

    // The same class: `secret set` writes the backend, then records it; a rotator is refused before OpenBao is written.
    writeFiles(dir, {'manual.yaml': 'kind: Secret\nname: manual\nbackend: bao\n'})
    const set = await secretctl(['secret', 'set', 'manual', 'M', '--state', roles.rotator], {cwd: dir, input: canary('set')})
    expect(set.exitCode).toBe(1)
    expect(set.stderr).toMatch(/would not let this role record secret\.manual \(it lacks INSERT on secrets, .*\), so nothing was written/)
    expect((await bao.api('GET', `secret/metadata/${prefix}/manual`)).status).toBe(404)
    const applierSet = await secretctl(['secret', 'set', 'manual', 'M', '--state', roles.applier], {cwd: dir, input: canary('set2')})
    expect(applierSet.exitCode, applierSet.stderr).toBe(0)
  })
})
