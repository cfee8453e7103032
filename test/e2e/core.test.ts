/**
 * The core workflow on the embedded SQLite state with plaintext backends, run as a user runs it:
 * init → validate → plan → apply → plan, updates, moves, keepSource, --target, --prune.
 */
import {describe, it, expect, afterEach} from 'vitest'
import {existsSync, readFileSync, statSync} from 'node:fs'
import {secretctl, tempProject, writeFiles, canary, rowData, secretBackend, queryState, assertAuditClean} from './support/cli.js'
import {plaintextBackend, envSecret, docs} from './support/manifests.js'

const dirs: string[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await assertAuditClean(dir)
})

function project(files: Record<string, string>): string {
  const dir = tempProject(files)
  dirs.push(dir)
  return dir
}

describe('init → plan → apply → plan', () => {
  it("scaffolds kmcp's layout, plans changes (exit 2), applies, then converges (exit 0); another environment needs its env file", async () => {
    const cwd = project({})
    const token = canary('github')
    const env = {GITHUB_TOKEN: token}
    const init = await secretctl(['init', 'infra/secrets'], {cwd})
    expect(init.exitCode).toBe(0)
    for (const file of ['secretctl.yaml', 'secrets.yaml', '.env.example', '.env.local', '.gitignore'])
      expect(init.stdout).toContain(`created ${file}`)
    const dir = `${cwd}/infra/secrets`
    expect(statSync(`${dir}/.env.local`).mode & 0o777).toBe(0o600)
    expect(readFileSync(`${dir}/.gitignore`, 'utf8')).toMatch(/^\.env\.\*\n!\.env\.example$/m)

    const validate = await secretctl(['validate', '-d', 'infra/secrets'], {cwd, env})
    expect(validate.stderr).toBe('')
    expect(validate.exitCode).toBe(0)
    expect(validate.stdout).toContain('(environment local)')

    const plan = await secretctl(['plan', '-d', 'infra/secrets', '--detailed-exitcode'], {cwd, env})
    expect(plan.exitCode).toBe(2)
    expect(plan.stdout).toContain('+ backend.local')
    expect(plan.stdout).toContain('+ secret.github')
    expect(plan.stdout).toContain('+ secret.app')
    expect(plan.stdout).toMatch(/Plan: 3 to create/)

    const apply = await secretctl(['apply', '-d', 'infra/secrets', '--auto-approve'], {cwd, env})
    expect(apply.stderr).toBe('')
    expect(apply.exitCode).toBe(0)
    expect(apply.stdout).toMatch(/3 applied, 0 failed/)

    const again = await secretctl(['plan', '-d', 'infra/secrets', '--detailed-exitcode'], {cwd, env})
    expect(again.exitCode).toBe(0)
    expect(again.stdout).toContain('No changes.')

    const get = await secretctl(['get', 'secrets', '-d', 'infra/secrets', '-o', 'json'], {cwd})
    expect(get.exitCode).toBe(0)
    expect(JSON.parse(get.stdout)).toEqual([
      expect.objectContaining({name: 'app', backend: 'default', keys: ['API_KEY']}),
      expect.objectContaining({name: 'github', backend: 'default', keys: ['GITHUB_TOKEN', 'WEBHOOK_SECRET']}),
    ])

    const describeOut = await secretctl(['describe', 'backend', 'default', '-d', 'infra/secrets'], {cwd})
    expect(describeOut.exitCode).toBe(0)
    expect(describeOut.stdout).toMatch(/type: plaintext/)
    expect(describeOut.stdout).toMatch(/default: true/)

    // init's secretctl.yaml declares environments and no state: the local one is DIR/.secretctl/local.db.
    const local = `${dir}/.secretctl/local.db`
    expect(statSync(local).mode & 0o777).toBe(0o600)

    // staging has no .env.staging yet: a clear error, and no staging state.
    const staging = await secretctl(['plan', '-d', 'infra/secrets', '--env', 'staging'], {cwd, env})
    expect(staging.exitCode).toBe(1)
    expect(staging.stderr).toMatch(/envFile \.env\.staging does not exist/)
    expect(existsSync(`${dir}/.secretctl/staging.db`)).toBe(false)
  })

  it('refuses to apply without --auto-approve when not at a terminal, changing nothing', async () => {
    const dir = project({'s.yaml': envSecret('app', {A: 'APP_A'})})
    const r = await secretctl(['apply', '-d', '.'], {cwd: dir, env: {APP_A: canary('a')}})
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(/--auto-approve/)
    const rows = await queryState(dir, 'select * from secrets')
    expect(rows).toEqual([])
  })
})

describe('exec', () => {
  it('runs a command with the secret in its environment, by key name or mapped to a target, never printing it', async () => {
    const dir = project({'s.yaml': envSecret('app', {API_KEY: 'APP_A', OTHER: 'APP_B'})})
    const a = canary('a')
    const env = {APP_A: a, APP_B: canary('b')}
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    const sha = (await import('node:crypto')).createHash('sha256').update(a).digest('hex')
    const probe = (variable: string) => [
      'node',
      '-e',
      `process.stdout.write(require("crypto").createHash("sha256").update(process.env.${variable} ?? "").digest("hex"))`,
    ]
    const byKey = await secretctl(['exec', '--secret', 'app', '--', ...probe('API_KEY')], {cwd: dir})
    expect(byKey.exitCode, byKey.stderr).toBe(0)
    expect(byKey.stdout).toBe(sha)
    const mapped = await secretctl(['exec', '--secret', 'app,key=API_KEY,target=MCP_TOKEN', '--', ...probe('MCP_TOKEN')], {cwd: dir})
    expect(mapped.stdout).toBe(sha)
    const ambiguous = await secretctl(['exec', '--secret', 'app,target=X', '--', 'true'], {cwd: dir})
    expect(ambiguous.exitCode).toBe(1)
    expect(ambiguous.stderr).toMatch(/secret app has 2 keys; say which one goes into X/)
    const exitCode = await secretctl(['exec', '--secret', 'app', '--', 'node', '-e', 'process.exit(7)'], {cwd: dir})
    expect(exitCode.exitCode).toBe(7)
    const missing = await secretctl(['exec', '--secret', 'nope', '--', 'true'], {cwd: dir})
    expect(missing.exitCode).toBe(1)
    expect(missing.stderr).toMatch(/no secret named nope/)
  })
})

describe('generated values', () => {
  it('are made on create, kept by later applies, and regenerated under --rotate once older than rotateEvery', async () => {
    const dir = project({
      's.yaml': 'kind: Secret\nname: hook\ndata:\n  SECRET: { generate: { length: 40, charset: hex, rotateEvery: 30d } }\n',
    })
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir})).exitCode).toBe(0)
    const first = (await rowData(dir, 'hook'))!.SECRET!
    expect(first).toMatch(/^[0-9a-f]{40}$/)
    expect((await secretctl(['plan', '--rotate', '--detailed-exitcode'], {cwd: dir})).exitCode).toBe(0) // not due yet
    // 31 days pass, as the state sees it (the key's recorded write moved back), without waiting.
    const [{keys}] = await queryState<{keys: string}>(dir, "select keys from secrets where name = 'hook'")
    const recorded = JSON.parse(keys!)
    recorded.SECRET.writtenAt = new Date(Date.parse(recorded.SECRET.writtenAt) - 31 * 86_400_000).toISOString()
    await queryState(dir, "update secrets set keys = ? where name = 'hook'", [JSON.stringify(recorded)])
    expect((await secretctl(['plan', '--detailed-exitcode'], {cwd: dir})).exitCode).toBe(0) // due only under --rotate
    const due = await secretctl(['plan', '--rotate', '--json'], {cwd: dir})
    expect(JSON.parse(due.stdout).changes).toEqual([
      expect.objectContaining({
        address: 'secret.hook',
        action: 'update',
        keys: {SECRET: 'regenerated'},
        reason: 'SECRET due for regeneration',
      }),
    ])
    const r = await secretctl(['reconcile', '--rotate'], {cwd: dir})
    expect(r.exitCode, r.stderr).toBe(0)
    const second = (await rowData(dir, 'hook'))!.SECRET!
    expect(second).toMatch(/^[0-9a-f]{40}$/)
    expect(second).not.toBe(first)
    // Without --rotate nothing is due: the new value stays.
    expect((await secretctl(['reconcile'], {cwd: dir})).stdout).toContain('No changes.')
    expect((await rowData(dir, 'hook'))!.SECRET).toBe(second)
  })
})

describe('changes', () => {
  it('a changed value is an update naming the key, and the new value is stored', async () => {
    const dir = project({'s.yaml': envSecret('app', {A: 'APP_A', B: 'APP_B'})})
    const a1 = canary('a1')
    const b = canary('b')
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env: {APP_A: a1, APP_B: b}})).exitCode).toBe(0)
    const a2 = canary('a2')
    const plan = await secretctl(['plan', '--detailed-exitcode', '--json'], {cwd: dir, env: {APP_A: a2, APP_B: b}})
    expect(plan.exitCode).toBe(2)
    const p = JSON.parse(plan.stdout)
    expect(p.changes).toHaveLength(1)
    expect(p.changes[0]).toMatchObject({
      address: 'secret.app',
      action: 'update',
      reason: 'value of A changed',
      keys: {A: 'changed', B: 'unchanged'},
    })
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env: {APP_A: a2, APP_B: b}})).exitCode).toBe(0)
    expect(await rowData(dir, 'app')).toEqual({A: a2, B: b})
  })

  it('a changed backend is a move: value intact on the new backend, gone from the old', async () => {
    const dir = project({'b.yaml': plaintextBackend('other'), 's.yaml': envSecret('app', {A: 'APP_A'})})
    const a = canary('a')
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env: {APP_A: a}})).exitCode).toBe(0)
    writeFiles(dir, {'s.yaml': envSecret('app', {A: 'APP_A'}, {backend: 'other'})})
    const plan = await secretctl(['plan', '--json'], {cwd: dir, env: {APP_A: a}})
    const p = JSON.parse(plan.stdout)
    expect(p.changes.map((c: {address: string; action: string}) => `${c.action} ${c.address}`)).toEqual(['move secret.app'])
    expect(p.changes[0].reason).toBe('backend default → other')
    const apply = await secretctl(['apply', '--auto-approve'], {cwd: dir, env: {APP_A: a}})
    expect(apply.exitCode).toBe(0)
    expect(await secretBackend(dir, 'app')).toBe('other')
    expect(await rowData(dir, 'app')).toEqual({A: a})
    expect(await queryState(dir, 'select * from retained_copies')).toEqual([])
    const converged = await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env: {APP_A: a}})
    expect(converged.exitCode).toBe(0)
  })

  it('keepSource leaves the copy on the old backend', async () => {
    const dir = project({'b.yaml': plaintextBackend('other'), 's.yaml': envSecret('app', {A: 'APP_A'})})
    const a = canary('a')
    await secretctl(['apply', '--auto-approve'], {cwd: dir, env: {APP_A: a}})
    writeFiles(dir, {'s.yaml': envSecret('app', {A: 'APP_A'}, {backend: 'other', keepSource: true})})
    const apply = await secretctl(['apply', '--auto-approve'], {cwd: dir, env: {APP_A: a}})
    expect(apply.exitCode).toBe(0)
    expect(await secretBackend(dir, 'app')).toBe('other')
    const kept = await queryState<{data: string; backend: string}>(
      dir,
      'select r.data, b.name as backend from retained_copies r join backends b on b.id = r.backend_id where r.secret_name = ?',
      ['app'],
    )
    expect(kept).toHaveLength(1)
    expect(kept[0]!.backend).toBe('default')
    expect(JSON.parse(kept[0]!.data)).toEqual({A: a})
    const described = await secretctl(['describe', 'secret', 'app', '-o', 'json'], {cwd: dir})
    expect(JSON.parse(described.stdout).retainedCopies).toEqual([expect.objectContaining({backend: 'default'})])
  })

  it('--target limits the plan and the apply to the named addresses', async () => {
    const dir = project({'s.yaml': docs(envSecret('one', {A: 'V1'}), envSecret('two', {A: 'V2'}))})
    const env = {V1: canary('one'), V2: canary('two')}
    const plan = await secretctl(['plan', '--json', '--target', 'secret.two'], {cwd: dir, env})
    expect(JSON.parse(plan.stdout).changes.map((c: {address: string}) => c.address)).toEqual(['secret.two'])
    expect((await secretctl(['apply', '--auto-approve', '--target', 'secret.two'], {cwd: dir, env})).exitCode).toBe(0)
    const names = (await queryState<{name: string}>(dir, 'select name from secrets order by name')).map((r) => r.name)
    expect(names).toEqual(['two'])
    const rest = await secretctl(['plan', '--json'], {cwd: dir, env})
    expect(JSON.parse(rest.stdout).changes.map((c: {address: string}) => c.address)).toEqual(['secret.one'])
  })

  it('--prune deletes what the manifests no longer name; without it, only a warning', async () => {
    const dir = project({
      'b.yaml': plaintextBackend('other'),
      's.yaml': docs(envSecret('keep', {A: 'V1'}), envSecret('drop', {A: 'V2'}, {backend: 'other'})),
    })
    const env = {V1: canary('keep'), V2: canary('drop')}
    await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
    writeFiles(dir, {'b.yaml': '# no backends\n', 's.yaml': envSecret('keep', {A: 'V1'})})
    const warn = await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})
    expect(warn.exitCode).toBe(0)
    expect(warn.stdout).toMatch(/secret drop is in the state but not in the manifests; apply with --prune/)
    const plan = await secretctl(['plan', '--prune', '--json'], {cwd: dir, env})
    expect(JSON.parse(plan.stdout).changes.map((c: {action: string; address: string}) => `${c.action} ${c.address}`)).toEqual([
      'delete secret.drop',
      'delete backend.other',
    ])
    const apply = await secretctl(['apply', '--prune', '--auto-approve'], {cwd: dir, env})
    expect(apply.exitCode).toBe(0)
    expect((await queryState<{name: string}>(dir, 'select name from secrets')).map((r) => r.name)).toEqual(['keep'])
    expect((await queryState<{name: string}>(dir, 'select name from backends order by name')).map((r) => r.name)).toEqual(['default'])
  })
})
