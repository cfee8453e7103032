/**
 * The mcpctl migration walkthrough, end to end: nine secrets on the plaintext `default` backend
 * move to OpenBao by editing `backend:`; plan lists nine moves, apply moves them one secret at a
 * time, the plaintext rows end up empty, and a consumer launched with `exec` sees the same values.
 * Runs against the OpenBao test server, or a real OpenBao/Vault (see support/bao.ts).
 */
import {describe, it, expect, beforeAll, afterAll} from 'vitest'
import {createHash} from 'node:crypto'
import {secretctl, tempProject, writeFiles, canary, queryState, rowData, secretBackend, assertAuditClean} from './support/cli.js'
import {envSecret, docs} from './support/manifests.js'
import {startBao, baoBackend, narrowPolicy, describeTarget, type BaoTarget} from './support/bao.js'

const names = Array.from({length: 9}, (_, i) => `mcp-${i + 1}`)
let bao: BaoTarget

beforeAll(async () => {
  bao = await startBao()
  console.info(`OpenBao e2e against ${describeTarget()}`)
})
afterAll(async () => bao?.close())

function sha(v: string): string {
  return createHash('sha256').update(v).digest('hex')
}

async function setup() {
  await bao.putPolicy(`${bao.prefix}-narrow`, narrowPolicy(bao.prefix))
  const token = await bao.createToken([`${bao.prefix}-narrow`])
  const env: Record<string, string> = {BAO_TOKEN: token}
  for (const n of names) env[`V_${n}`] = canary(n)
  const creds = envSecret('bao-creds', {token: 'BAO_TOKEN'})
  const manifests = (placement: (n: string) => {backend?: string; keepSource?: boolean}) => ({
    'backends.yaml': baoBackend(bao),
    'secrets.yaml': docs(creds, ...names.map((n) => envSecret(n, {API_KEY: `V_${n}`}, placement(n)))),
  })
  const dir = tempProject(manifests(() => ({})))
  return {dir, env, manifests}
}

/** What a consumer sees: sha256 of API_KEY as the launched process got it. */
async function consumerSees(dir: string, name: string): Promise<string> {
  const r = await secretctl(
    [
      'exec',
      '--secret',
      name,
      '--',
      'node',
      '-e',
      'process.stdout.write(require("crypto").createHash("sha256").update(process.env.API_KEY ?? "").digest("hex"))',
    ],
    {cwd: dir},
  )
  expect(r.exitCode, r.stderr).toBe(0)
  return r.stdout
}

describe(`migration to OpenBao (${REAL_LABEL()})`, () => {
  it('one apply creates the token secret, the backend and secrets on it, in that order', async () => {
    await bao.putPolicy(`${bao.prefix}-narrow`, narrowPolicy(bao.prefix))
    const env = {BAO_TOKEN: await bao.createToken([`${bao.prefix}-narrow`]), V: canary('same-apply')}
    const dir = tempProject({
      'b.yaml': baoBackend(bao),
      's.yaml': docs(envSecret('bao-creds', {token: 'BAO_TOKEN'}), envSecret('first', {API_KEY: 'V'}, {backend: 'bao'})),
    })
    const r = await secretctl(['apply', '--auto-approve', '--json'], {cwd: dir, env})
    expect(r.exitCode, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).result.changes.map((c: {address: string}) => c.address)).toEqual([
      'backend.bao',
      'secret.bao-creds',
      'secret.first',
    ])
    expect(await bao.readSecret('first')).toEqual({API_KEY: env.V})
  })

  it('nine secrets move from default to bao; consumers keep resolving the same values', async () => {
    const {dir, env, manifests} = await setup()
    const first = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
    expect(first.exitCode, first.stderr).toBe(0)
    for (const n of names) expect(await consumerSees(dir, n)).toBe(sha(env[`V_${n}`]!))

    // A subset first, via --target.
    writeFiles(
      dir,
      manifests((_n) => ({backend: 'bao'})),
    )
    const targeted = await secretctl(['apply', '--auto-approve', '--target', 'secret.mcp-1', '--target', 'secret.mcp-2'], {cwd: dir, env})
    expect(targeted.exitCode, targeted.stderr).toBe(0)
    expect(await secretBackend(dir, 'mcp-1')).toBe('bao')
    expect(await secretBackend(dir, 'mcp-3')).toBe('default')

    const plan = await secretctl(['plan', '--json'], {cwd: dir, env})
    const p = JSON.parse(plan.stdout)
    expect(p.changes.map((c: {action: string; address: string}) => `${c.action} ${c.address}`)).toEqual(
      names.slice(2).map((n) => `move secret.${n}`),
    )

    const apply = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
    expect(apply.exitCode, apply.stderr).toBe(0)
    for (const n of names) {
      expect(await secretBackend(dir, n)).toBe('bao')
      expect(await rowData(dir, n)).toBeNull()
      expect(await bao.readSecret(n)).toEqual({API_KEY: env[`V_${n}`]})
      expect(await consumerSees(dir, n)).toBe(sha(env[`V_${n}`]!))
    }
    const refs = await queryState<{external_ref: string}>(dir, "select external_ref from secrets where name = 'mcp-1'")
    expect(refs[0]!.external_ref).toBe(`secret/${bao.prefix}/mcp-1`)

    const again = await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})
    expect(again.exitCode, again.stdout).toBe(0)
    await assertAuditClean(dir)
  })

  it('keepSource leaves the plaintext copy; moving back to default brings the value home', async () => {
    const {dir, env, manifests} = await setup()
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    writeFiles(
      dir,
      manifests((n) => (n === 'mcp-1' ? {backend: 'bao', keepSource: true} : {})),
    )
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    expect(await secretBackend(dir, 'mcp-1')).toBe('bao')
    const kept = await queryState<{data: string}>(dir, "select data from retained_copies where secret_name = 'mcp-1'")
    expect(JSON.parse(kept[0]!.data)).toEqual({API_KEY: env['V_mcp-1']})

    writeFiles(
      dir,
      manifests(() => ({})),
    )
    const back = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
    expect(back.exitCode, back.stderr).toBe(0)
    expect(await rowData(dir, 'mcp-1')).toEqual({API_KEY: env['V_mcp-1']})
    expect(await bao.readSecret('mcp-1')).toBeUndefined()
    expect(await consumerSees(dir, 'mcp-1')).toBe(sha(env['V_mcp-1']!))
  })
})

function REAL_LABEL(): string {
  return process.env.SECRETCTL_TEST_BAO_ADDR ? 'real server' : 'test server'
}
