/**
 * `state list` and `state rm` (issue 11, item 23): the records by address, forgetting them without
 * touching any backend (asked first, `--force` in scripts, refused without it off a terminal,
 * audited, under the lock, all or none), and a secret deleted outside secretctl recovered by
 * forgetting it: the next plan creates it from its sources, or, placement-only, `secret set` fills it.
 */
import {describe, it, expect, beforeAll, afterAll} from 'vitest'
import {execa} from 'execa'
import path from 'node:path'
import {secretctl, tempProject, writeFiles, canary, queryState, assertAuditClean, CLI} from './support/cli.js'
import {envSecret, docs, plaintextBackend} from './support/manifests.js'
import {startBao, baoBackend, narrowPolicy, type BaoTarget} from './support/bao.js'

/** What the state records (a refused command must leave it as it was; taking and releasing the lock is no change). */
async function records(dir: string): Promise<string> {
  const tables = ['state_meta', 'backends', 'secrets', 'retained_copies', 'audit', 'locks']
  return JSON.stringify(await Promise.all(tables.map((t) => queryState(dir, `select * from ${t} order by 1`))))
}

let bao: BaoTarget
beforeAll(async () => {
  bao = await startBao()
})
afterAll(async () => bao?.close())

describe('state list and state rm', () => {
  it('lists backends, secrets and retained copies by address; forgets only what it is told, after checking everything', async () => {
    const dir = tempProject({
      'b.yaml': plaintextBackend('other'),
      's.yaml': docs(envSecret('a', {K: 'V1'}), envSecret('b', {K: 'V2'})),
    })
    const env = {V1: canary('rm-a'), V2: canary('rm-b')}
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    // A keepSource move leaves a copy on default.
    writeFiles(dir, {'s.yaml': docs(envSecret('a', {K: 'V1'}, {backend: 'other', keepSource: true}), envSecret('b', {K: 'V2'}))})
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)

    const listed = await secretctl(['state', 'list', '-o', 'json'], {cwd: dir})
    expect(listed.exitCode, listed.stderr).toBe(0)
    expect(JSON.parse(listed.stdout)).toEqual([
      {address: 'backend.default', kind: 'backend', name: 'default', type: 'plaintext', default: true},
      {address: 'backend.other', kind: 'backend', name: 'other', type: 'plaintext', default: false},
      {address: 'secret.a', kind: 'secret', name: 'a', backend: 'other', keys: ['K']},
      {address: 'secret.a@default', kind: 'copy', name: 'a', backend: 'default', pending: false},
      {address: 'secret.b', kind: 'secret', name: 'b', backend: 'default', keys: ['K']},
    ])
    const text = await secretctl(['state', 'list'], {cwd: dir})
    expect(text.stdout.split('\n')[0]).toMatch(/^ADDRESS\s+KIND\s+DETAIL$/)
    expect(text.stdout).toMatch(/secret\.a@default\s+copy\s+on default, kept by a move \(keepSource\)/)

    // Refusals change nothing: no terminal and no --force; an unknown address among good ones; a backend with records on it; the trust root.
    const saved = path.join(dir, 'plan.json')
    expect((await secretctl(['plan', '--out', saved], {cwd: dir, env})).exitCode).toBe(0)
    const before = await records(dir)
    const refusals = [
      {args: ['secret.b'], message: /refusing to forget records without confirmation: not running at a terminal/},
      {args: ['secret.b', 'secret.nope', '--force'], message: /the state has no secret\.nope; nothing was removed/},
      {args: ['backend.other', '--force'], message: /backend other still has records on it: secret\.a /},
      {args: ['backend.default', '--force'], message: /backend default is the trust root and is never forgotten/},
    ]
    for (const r of refusals) {
      const out = await secretctl(['state', 'rm', ...r.args], {cwd: dir})
      expect(out.exitCode, r.args.join(' ')).toBe(1)
      expect(out.stderr).toMatch(r.message)
    }
    expect(await records(dir)).toBe(before)

    // Forgetting b (on default, whose values are in the state) says so, audits it, and bumps the serial.
    const rm = await secretctl(['state', 'rm', 'secret.b', '--force'], {cwd: dir})
    expect(rm.exitCode, rm.stderr).toBe(0)
    expect(rm.stdout).toContain('forgot secret.b')
    expect(rm.stdout).toContain('The state held the values of secret.b: they went with the records.')
    const history = JSON.parse((await secretctl(['history', '--json', '--limit', '1'], {cwd: dir})).stdout)
    expect(history[0].changes).toEqual([
      {address: 'secret.b', action: 'forget', outcome: 'applied', detail: expect.stringContaining('state rm: forgot secret b on default')},
    ])
    const stale = await secretctl(['apply', saved], {cwd: dir, env})
    expect(stale.exitCode).toBe(1)

    // The next plan creates it again from its source; a copy and then its backend can be forgotten too.
    const plan = await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})
    expect(plan.exitCode).toBe(2)
    expect(plan.stdout).toContain('+ secret.b  create: new secret on default')
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    const copy = await secretctl(['state', 'rm', 'secret.a@default', '--force', '--json'], {cwd: dir})
    expect(JSON.parse(copy.stdout).removed.map((r: {address: string}) => r.address)).toEqual(['secret.a@default'])
    writeFiles(dir, {'s.yaml': envSecret('b', {K: 'V2'}), 'b.yaml': ''})
    const both = await secretctl(['state', 'rm', 'secret.a', 'backend.other', '--force'], {cwd: dir})
    expect(both.exitCode, both.stderr).toBe(0)
    expect((await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})).exitCode).toBe(0)
    await assertAuditClean(dir)
  })

  it('asks at a terminal; anything but "yes" keeps the records', async () => {
    const dir = tempProject({'s.yaml': envSecret('a', {K: 'V1'})})
    const env = {V1: canary('rm-tty')}
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    const before = await records(dir)
    const asked = await execa('script', ['-qfec', `node ${CLI} state rm secret.a`, '/dev/null'], {
      cwd: dir,
      env: {NO_COLOR: '1'},
      input: 'no\n',
      reject: false,
    })
    expect(asked.stdout).toContain('secret.a: secret a on default (1 key)')
    expect(asked.stdout).toContain('Remove these records? Only "yes" is accepted:')
    expect(asked.stdout).toContain('Kept the records')
    expect(await records(dir)).toBe(before)
  })

  it('a secret deleted on OpenBao outside secretctl: forgotten, then created again (sourced) or set again (placement-only)', async () => {
    await bao.putPolicy(`${bao.prefix}-rm`, narrowPolicy(bao.prefix))
    const env = {BAO_TOKEN: await bao.createToken([`${bao.prefix}-rm`]), V: canary('rm-svc')}
    const sourced = docs(envSecret('bao-creds', {token: 'BAO_TOKEN'}), envSecret('rm-svc', {K: 'V'}, {backend: 'bao'}))
    const dir = tempProject({'b.yaml': baoBackend(bao), 's.yaml': sourced})
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    writeFiles(dir, {'s.yaml': docs(sourced, 'kind: Secret\nname: rm-manual\nbackend: bao\n')})
    const set = await secretctl(['secret', 'set', 'rm-manual', 'M'], {cwd: dir, env, input: canary('rm-manual')})
    expect(set.exitCode, set.stderr).toBe(0)
    for (const name of ['rm-svc', 'rm-manual']) await bao.api('DELETE', `secret/metadata/${bao.prefix}/${name}`)

    const gone = await secretctl(['plan'], {cwd: dir, env})
    expect(gone.stdout).toContain('forget it with `secretctl state rm secret.rm-manual`')
    expect((await secretctl(['state', 'rm', 'secret.rm-manual', 'secret.rm-svc', '--force'], {cwd: dir})).exitCode).toBe(0)

    // Placement-only: not in the state any more, so the plan points at `secret set`, which fills it.
    const placementOnly = await secretctl(['plan'], {cwd: dir, env})
    expect(placementOnly.exitCode).toBe(1)
    expect(placementOnly.stderr).toContain('secret rm-manual is placement-only (no data sources) but does not exist in the state')
    expect(placementOnly.stderr).toContain('secretctl secret set NAME KEY')
    const value = canary('rm-manual-again')
    expect((await secretctl(['secret', 'set', 'rm-manual', 'M'], {cwd: dir, env, input: value})).exitCode).toBe(0)
    expect(await bao.readSecret('rm-manual')).toEqual({M: value})

    // Sourced: a create, written from its source.
    const plan = await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})
    expect(plan.exitCode).toBe(2)
    expect(plan.stdout).toContain('+ secret.rm-svc  create: new secret on bao')
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    expect(await bao.readSecret('rm-svc')).toEqual({K: env.V})
    expect((await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})).exitCode).toBe(0)
  })
})
