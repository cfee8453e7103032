/**
 * The bootstrap wizard and token rotation against the OpenBao test server (its clock is moved to
 * make tokens expire). The admin token must never land anywhere: outputs, state, manifests, audit.
 */
import {describe, it, expect, beforeAll, afterAll} from 'vitest'
import {existsSync, readFileSync, readdirSync} from 'node:fs'
import path from 'node:path'
import {secretctl, tempProject, canary, queryState, stateFile, stateBytes, assertAuditClean, writeFiles} from './support/cli.js'
import {envSecret} from './support/manifests.js'
import {startBao, REAL_BAO, type BaoTarget} from './support/bao.js'

let bao: BaoTarget
beforeAll(async () => {
  bao = await startBao()
})
afterAll(async () => bao?.close())

let n = 0
async function bootstrapped(opts: {period?: string; ttl?: string} = {}) {
  const dir = tempProject()
  const name = `bao${++n}`
  const role = `${bao.prefix}-role${n}`
  const args = [
    'bootstrap',
    'openbao',
    name,
    '--url',
    bao.url,
    '--path-prefix',
    `${bao.prefix}/${name}`,
    '--policy-name',
    `${bao.prefix}-p${n}`,
    '--token-role',
    role,
    '--admin-token-stdin',
    '--no-default',
  ]
  if (opts.period) args.push('--period', opts.period)
  if (opts.ttl) args.push('--ttl', opts.ttl)
  const r = await secretctl(args, {cwd: dir, input: bao.rootToken + '\n'})
  expect(r.exitCode, r.stderr).toBe(0)
  return {dir, name, role, out: r}
}

async function storedToken(dir: string, name: string): Promise<string> {
  const rows = await queryState<{data: string}>(dir, 'select data from secrets where name = ?', [`${name}-token`])
  return JSON.parse(rows[0]!.data).token
}

/** Moves the token's recorded birth back by `ms` in the state: time passing, without waiting for it. */
async function ageToken(dir: string, name: string, ms: number): Promise<void> {
  const [row] = await queryState<{token_meta: string}>(dir, 'select token_meta from backends where name = ?', [name])
  const meta = JSON.parse(row!.token_meta) as Record<string, string | null>
  for (const k of ['createdAt', 'lastRotatedAt']) if (meta[k]) meta[k] = new Date(Date.parse(meta[k]) - ms).toISOString()
  await queryState(dir, 'update backends set token_meta = ? where name = ?', [JSON.stringify(meta), name])
}

async function describeToken(dir: string, name: string) {
  const r = await secretctl(['describe', 'backend', name, '-o', 'json'], {cwd: dir})
  expect(r.exitCode, r.stderr).toBe(0)
  return JSON.parse(r.stdout).token
}

describe.skipIf(REAL_BAO)('bootstrap openbao (test server)', () => {
  it('sets up mount, policy, role and token, writes manifests, and the admin token lands nowhere', async () => {
    const {dir, name, out} = await bootstrapped()
    expect(out.stdout).toMatch(/wrote policy/)
    expect(out.stdout).toMatch(/Next: move secrets to bao\d+/)
    for (const text of [
      out.stdout,
      out.stderr,
      existsSync(stateFile(dir)) ? readFileSync(stateFile(dir)).toString('latin1') : '',
      stateBytes(dir)!.toString('latin1'),
      ...readdirSync(dir)
        .filter((f) => f.endsWith('.yaml') && f !== 'secretctl.yaml')
        .map((f) => readFileSync(path.join(dir, f), 'utf8')),
      JSON.stringify(await queryState(dir, 'select * from audit')),
    ]) {
      expect(text.includes(bao.rootToken)).toBe(false)
    }
    // The manifests it wrote are valid and converged with the state.
    const plan = await secretctl(['plan', '--detailed-exitcode'], {cwd: dir})
    expect(plan.exitCode, plan.stdout + plan.stderr).toBe(0)
    // Secrets move onto it and back out through the minted token.
    writeFiles(dir, {'app.yaml': envSecret('app', {K: 'APP_K'}, {backend: name})})
    const value = canary('app')
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env: {APP_K: value}})).exitCode).toBe(0)
    expect(bao.testServer!.readKv('secret', `${bao.prefix}/${name}/app`)?.data).toEqual({K: value})
    expect((await describeToken(dir, name)).health).toBe('healthy')
    await assertAuditClean(dir)
  })

  it('refuses an empty admin token and a sealed server, writing nothing', async () => {
    const dir = tempProject()
    const empty = await secretctl(['bootstrap', 'openbao', 'x', '--url', bao.url, '--admin-token-stdin'], {cwd: dir, input: '\n'})
    expect(empty.exitCode).toBe(1)
    expect(empty.stderr).toMatch(/admin token is empty/)
    expect(readdirSync(dir).filter((f) => f !== 'secretctl.yaml')).toEqual([])
    bao.testServer!.seal()
    try {
      const sealed = await secretctl(['bootstrap', 'openbao', 'x', '--url', bao.url, '--admin-token-stdin'], {
        cwd: dir,
        input: bao.rootToken,
      })
      expect(sealed.exitCode).toBe(1)
      expect(sealed.stderr).toMatch(/is sealed/)
      expect(readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'secretctl.yaml')).toEqual([])
    } finally {
      bao.testServer!.unseal()
    }
  })
})

describe.skipIf(REAL_BAO)('token rotation (test server)', () => {
  it('rotates in order: mint → verify → persist → revoke the predecessor; the old token stops working', async () => {
    const {dir, name, role} = await bootstrapped()
    const before = await storedToken(dir, name)
    const oldAccessor = (await describeToken(dir, name)).accessor
    const start = bao.testServer!.log.length
    const r = await secretctl(['rotate', 'backend', name], {cwd: dir})
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    const after = await storedToken(dir, name)
    expect(after).not.toBe(before)
    const ops = bao.testServer!.log.slice(start).map((e) => `${e.method} ${e.path.replace(/\.secretctl-probe-[0-9a-f]+/, 'PROBE')}`)
    expect(ops).toEqual([
      `POST /v1/auth/token/create/${role}`,
      'GET /v1/auth/token/lookup-self',
      `GET /v1/auth/token/roles/${role}`,
      `POST /v1/secret/data/${bao.prefix}/${name}/PROBE`,
      `GET /v1/secret/data/${bao.prefix}/${name}/PROBE`,
      `DELETE /v1/secret/metadata/${bao.prefix}/${name}/PROBE`,
      'POST /v1/auth/token/revoke-accessor',
    ])
    const meta = await describeToken(dir, name)
    expect(meta.accessor).not.toBe(oldAccessor)
    expect(meta.health).toBe('healthy')
    expect((await bao.api('GET', 'auth/token/lookup-self', undefined, before)).status).toBe(403)
    expect((await bao.api('GET', 'auth/token/lookup-self', undefined, after)).status).toBe(200)
  })

  it('a failed mint keeps the old token working, records the error (ERROR) and exits 1', async () => {
    const {dir, name, role} = await bootstrapped()
    const before = await storedToken(dir, name)
    const fault = bao.testServer!.faults.add({type: 'fail', method: 'POST', path: `auth/token/create/${role}`, status: 500})
    const r = await secretctl(['rotate', 'backend', name], {cwd: dir})
    bao.testServer!.faults.remove(fault.id)
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toMatch(/minting through role .* answered 500/)
    expect(await storedToken(dir, name)).toBe(before)
    expect((await bao.api('GET', 'auth/token/lookup-self', undefined, before)).status).toBe(200)
    const meta = await describeToken(dir, name)
    expect(meta.health).toBe('ERROR')
    expect(meta.lastRotationError).toMatch(/answered 500/)
    const get = await secretctl(['get', 'backends'], {cwd: dir})
    expect(get.stdout).toMatch(new RegExp(`${name}\\s+openbao\\s+0\\s+ERROR`))
    // The next successful rotation clears it.
    expect((await secretctl(['rotate', 'backend', name], {cwd: dir})).exitCode).toBe(0)
    expect((await describeToken(dir, name)).health).toBe('healthy')
  })

  it('a failed revoke is a warning: the new token stays', async () => {
    const {dir, name} = await bootstrapped()
    const before = await storedToken(dir, name)
    const fault = bao.testServer!.faults.add({type: 'fail', method: 'POST', path: 'auth/token/revoke-accessor', status: 500})
    const r = await secretctl(['rotate', 'backend', name], {cwd: dir})
    bao.testServer!.faults.remove(fault.id)
    expect(r.exitCode, r.stdout).toBe(0)
    expect(r.stdout).toMatch(/warning: the previous token .* could not be revoked/)
    expect(await storedToken(dir, name)).not.toBe(before)
    expect((await describeToken(dir, name)).lastRevokeWarning).toMatch(/could not be revoked/)
  })

  it('a non-renewable successor is refused and revoked; the old token stays', async () => {
    const {dir, name, role} = await bootstrapped()
    const before = await storedToken(dir, name)
    const current = await bao.api('GET', `auth/token/roles/${role}`)
    await bao.api('POST', `auth/token/roles/${role}`, {...current.body.data, renewable: false})
    const r = await secretctl(['rotate', 'backend', name], {cwd: dir})
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toMatch(/non-renewable token/)
    expect(await storedToken(dir, name)).toBe(before)
  })

  it('--rotate finds overdue tokens; reconcile twice in a row writes nothing the second time', async () => {
    const {dir, name} = await bootstrapped({period: '24h'})
    const fresh = await secretctl(['plan', '--rotate', '--detailed-exitcode'], {cwd: dir})
    expect(fresh.exitCode, fresh.stdout).toBe(0)
    // A day passes, as the state sees it: the token is overdue however long the steps above took.
    await ageToken(dir, name, 25 * 3600_000)
    const due = await secretctl(['plan', '--rotate', '--json'], {cwd: dir})
    expect(JSON.parse(due.stdout).changes).toEqual([
      expect.objectContaining({
        address: `backend.${name}.token`,
        action: 'rotate',
        reason: 'token 25h old, period 24h',
      }),
    ])
    const first = await secretctl(['reconcile', '--rotate', '--json'], {cwd: dir})
    expect(first.exitCode, first.stdout + first.stderr).toBe(0)
    expect(JSON.parse(first.stdout).result.summary).toEqual({applied: 1, failed: 0, skipped: 0})
    const serial = async () => Number((await queryState<{serial: number}>(dir, 'select serial from state_meta'))[0]!.serial)
    const serialBefore = await serial()
    const start = bao.testServer!.log.length
    const second = await secretctl(['reconcile', '--rotate', '--json'], {cwd: dir})
    expect(second.exitCode).toBe(0)
    expect(JSON.parse(second.stdout).result).toBeNull()
    expect(bao.testServer!.log.slice(start).filter((e) => e.method !== 'GET')).toEqual([])
    expect(await serial()).toBe(serialBefore)
  })

  it('a token left unrotated past its TTL really stops working on the server', async () => {
    const {dir, name} = await bootstrapped({ttl: '1h'})
    writeFiles(dir, {'app.yaml': envSecret('app', {K: 'APP_K'}, {backend: name})})
    const env = {APP_K: canary('ttl')}
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    bao.testServer!.clock.advance(2 * 3600_000)
    const r = await secretctl(['plan'], {cwd: dir, env})
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(/permission denied reading metadata/)
  })
})
