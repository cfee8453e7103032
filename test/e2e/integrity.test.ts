/**
 * Integrity defects of issue 11, end to end against OpenBao: a generated key changed outside
 * secretctl is regenerated and named (item 4); a secret deleted outside secretctl is written again
 * from its sources, and a placement-only one points at `secret set` / `state rm` (item 10); a
 * move whose source delete did not happen leaves a record the next plan finishes (item 6); a copy
 * kept on a backend is deleted by the plan that deletes the backend, never forgotten (item 3).
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {canary, queryState, secretctl, tempProject, writeFiles} from './support/cli.js'
import {baoBackend, describeTarget, startBao, type BaoTarget} from './support/bao.js'
import {docs, envSecret} from './support/manifests.js'

let bao: BaoTarget
beforeAll(async () => {
  bao = await startBao()
})
afterAll(async () => bao?.close())

const creds = 'kind: Secret\nname: bao-creds\nbackend: default\ndata: {token: {fromEnv: BAO_TOKEN}}\n'
const unique = () => `s${Math.random().toString(36).slice(2, 8)}`

function project(files: Record<string, string>) {
  const dir = tempProject({'backends.yaml': docs(baoBackend(bao), creds), ...files})
  return {dir, env: {BAO_TOKEN: bao.rootToken}}
}

async function apply(dir: string, env: Record<string, string>, extra: string[] = []) {
  const r = await secretctl(['apply', '--auto-approve', ...extra], {cwd: dir, env})
  expect(r.exitCode, r.stdout + r.stderr).toBe(0)
  return r
}

describe(`issue 11 integrity (${describeTarget()})`, () => {
  it('a generated key changed on the server is regenerated, and the plan says which key and why (item 4)', async () => {
    const name = unique()
    const {dir, env} = project({
      's.yaml': `kind: Secret\nname: ${name}\nbackend: bao\ndata:\n  K: {fromEnv: K}\n  G: {generate: {length: 24}}\n`,
    })
    const e = {...env, K: canary('sourced')}
    await apply(dir, e)
    const original = (await bao.readSecret(name)) as Record<string, string>
    const tampered = canary('tampered-generated')
    await bao.api('POST', `secret/data/${bao.prefix}/${name}`, {data: {K: original.K, G: tampered}})
    const plan = await secretctl(['plan', '--json'], {cwd: dir, env: e})
    const change = JSON.parse(plan.stdout).changes.find((c: {address: string}) => c.address === `secret.${name}`)
    expect(change).toMatchObject({action: 'update', drift: true, keys: {G: 'regenerated', K: 'unchanged'}})
    expect(change.reason).toContain('generated G changed on bao outside secretctl: generated anew')
    await apply(dir, e)
    const repaired = (await bao.readSecret(name)) as Record<string, string>
    expect(repaired.K).toBe(original.K)
    expect(repaired.G).not.toBe(tampered)
    expect(repaired.G).not.toBe(original.G)
    expect((await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env: e})).exitCode).toBe(0)
  })

  it('a secret deleted on the server is written again from its sources; a placement-only one names secret set and state rm (item 10)', async () => {
    const name = unique()
    const {dir, env} = project({'s.yaml': envSecret(name, {K: 'K'}, {backend: 'bao'})})
    const e = {...env, K: canary('restored')}
    await apply(dir, e)
    await bao.api('DELETE', `secret/metadata/${bao.prefix}/${name}`)
    const plan = await secretctl(['plan'], {cwd: dir, env: e})
    expect(plan.stdout).toMatch(/no longer holds this secret.*written again from its sources/)
    await apply(dir, e)
    expect(await bao.readSecret(name)).toEqual({K: e.K})
    expect((await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env: e})).exitCode).toBe(0)

    // The same secret, placement-only now: nothing can write it again.
    writeFiles(dir, {'s.yaml': `kind: Secret\nname: ${name}\nbackend: bao\n`})
    await bao.api('DELETE', `secret/metadata/${bao.prefix}/${name}`)
    const stuck = await secretctl(['plan'], {cwd: dir, env: e})
    expect(stuck.stdout).toContain(`secretctl secret set ${name} KEY`)
    expect(stuck.stdout).toContain(`secretctl state rm secret.${name}`)
  })

  it.skipIf(!!process.env.SECRETCTL_TEST_BAO_ADDR)(
    'a move whose source delete failed is recorded, and the next plan deletes the copy (item 6)',
    async () => {
      const name = unique()
      const {dir, env} = project({'s.yaml': envSecret(name, {K: 'K'}, {backend: 'bao'})})
      const e = {...env, K: canary('moved')}
      await apply(dir, e)
      writeFiles(dir, {'s.yaml': envSecret(name, {K: 'K'})})
      const fault = bao.testServer?.faults.add({type: 'fail', method: 'DELETE', path: `secret/metadata/${bao.prefix}/${name}`, status: 500})
      const moved = await apply(dir, e)
      expect(moved.stdout).toMatch(/could not be deleted \(the next plan deletes it\)/)
      fault?.remove()
      expect(await queryState(dir, 'select secret_name from retained_copies where pending = ?', [true])).toHaveLength(1)
      expect(await bao.readSecret(name)).toEqual({K: e.K})
      const plan = await secretctl(['plan'], {cwd: dir, env: e})
      expect(plan.stdout).toContain(`delete the copy left on bao by an interrupted move (the secret stays on default)`)
      await apply(dir, e)
      expect(await bao.readSecret(name)).toBeUndefined()
      expect(await queryState(dir, 'select * from retained_copies')).toEqual([])
      expect((await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env: e})).exitCode).toBe(0)
    },
  )

  it('a copy kept on a backend is deleted by the plan that deletes the backend (item 3)', async () => {
    const name = unique()
    const {dir, env} = project({'s.yaml': envSecret(name, {K: 'K'}, {backend: 'bao'})})
    const e = {...env, K: canary('kept')}
    await apply(dir, e)
    writeFiles(dir, {'s.yaml': envSecret(name, {K: 'K'}, {keepSource: true})})
    await apply(dir, e)
    expect(await bao.readSecret(name)).toEqual({K: e.K})
    // bao leaves the manifests (its token secret stays, still needed by the delete).
    writeFiles(dir, {'backends.yaml': creds})
    const plan = await secretctl(['plan', '--prune'], {cwd: dir, env: e})
    expect(plan.stdout).toContain(`first deletes the copy of ${name} kept there`)
    await apply(dir, e, ['--prune'])
    expect(await bao.readSecret(name)).toBeUndefined()
    expect(await queryState(dir, 'select * from retained_copies')).toEqual([])
  })
})
