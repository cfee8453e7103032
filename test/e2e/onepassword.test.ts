/**
 * The onepassword backend end to end, against the 1Password Connect test server: placement-only
 * secrets on it are recorded (version + fingerprints, nothing written), drift through the item
 * version (an edit through the server's control API), read-only refusals (a move onto it,
 * `secret set` on it), prune forgetting only the record, a move off it keeping the copy there, a
 * 403 that never turns into a planned change, and exec reading through it. Every output is
 * searched for the planted values.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {startOnePasswordServer, type OnePasswordServer} from '../support/onepassword/index.js'
import {
  assertAuditClean,
  canary,
  queryState,
  rowData,
  secretBackend,
  secretctl,
  stateBytes,
  tempProject,
  writeFiles,
} from './support/cli.js'
import {docs, envSecret} from './support/manifests.js'

let op: OnePasswordServer
beforeAll(async () => {
  op = await startOnePasswordServer()
  op.createVault('Eng')
})
afterAll(async () => op?.close())

const backend = () => `kind: SecretBackend
name: op
type: onepassword
config:
  url: ${op.url}
  tokenSecretRef: {name: op-creds, key: token}
  vault: Eng
`
const github = (backendName = 'op') =>
  backendName === 'op'
    ? 'kind: Secret\nname: github\nbackend: op\nrefs:\n  TOKEN: op://Eng/GitHub/credential\n'
    : `kind: Secret\nname: github\nbackend: ${backendName}\n`
const whole = 'kind: Secret\nname: whole\nbackend: op\n'

/** sha256 of a variable as the launched process sees it. */
const probe = (variable: string) => [
  'node',
  '-e',
  `process.stdout.write(require("crypto").createHash("sha256").update(process.env.${variable} ?? "").digest("hex"))`,
]
const sha = async (v: string) => (await import('node:crypto')).createHash('sha256').update(v).digest('hex')

async function controlEdit(vault: string, item: string, edit: unknown): Promise<void> {
  const res = await fetch(`${op.url}/__test/vaults/${encodeURIComponent(vault)}/items/${encodeURIComponent(item)}`, {
    method: 'PATCH',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify(edit),
  })
  expect(res.status).toBe(200)
}

describe('onepassword backend (read-only)', () => {
  it('records, reads, drifts, refuses writes, prunes by forgetting, and moves off keeping the copy', async () => {
    const token = canary('gh-token')
    const wholeA = canary('whole-a')
    op.createItem('Eng', {title: 'GitHub', category: 'API_CREDENTIAL', fields: {credential: token}})
    op.createItem('Eng', {title: 'whole', fields: {A: wholeA, B: canary('whole-b')}})
    const env = {OP_TOKEN: op.token}
    const dir = tempProject({
      'b.yaml': backend(),
      's.yaml': docs(envSecret('op-creds', {token: 'OP_TOKEN'}, {backend: 'default'}), github(), whole),
    })

    // A plan reads no value; the apply records each secret (version and fingerprints), writing nothing.
    op.clearLog()
    const plan = await secretctl(['plan'], {cwd: dir, env})
    expect(plan.exitCode, plan.stderr).toBe(0)
    expect(plan.stdout).toMatch(/secret\.github[\s\S]*records the secret op holds \(read-only: read at apply, nothing written\)/)
    expect(op.valueReads()).toHaveLength(0)
    const applied = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
    expect(applied.exitCode, applied.stderr).toBe(0)
    expect(op.log.filter((e) => e.method !== 'GET')).toEqual([])
    const rows = await queryState<{name: string; backend_version: string; keys: string; external_ref: string}>(
      dir,
      "select name, backend_version, keys, external_ref from secrets where name in ('github', 'whole') order by name",
    )
    const githubItem = op.readItem('Eng', 'GitHub')!
    expect(rows[0]).toMatchObject({name: 'github', backend_version: `${githubItem.id}:1`, external_ref: 'op://Eng/GitHub'})
    expect(JSON.parse(rows[0]!.keys).TOKEN).toMatchObject({source: 'external', ref: 'op://Eng/GitHub/credential'})
    expect(Object.keys(JSON.parse(rows[1]!.keys))).toEqual(['A', 'B'])
    expect(await rowData(dir, 'github')).toBeNull() // never a value of an external backend in the state
    expect((await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})).exitCode).toBe(0)

    // exec reads through the state and 1Password.
    const seen = await secretctl(['exec', '--secret', 'github,key=TOKEN,target=GH', '--', ...probe('GH')], {cwd: dir})
    expect(seen.exitCode, seen.stderr).toBe(0)
    expect(seen.stdout).toBe(await sha(token))

    // Drift: an edit in 1Password (through the server's control API) is a new item version; apply records it again.
    const rotated = canary('gh-rotated')
    await controlEdit('Eng', 'GitHub', {values: {credential: rotated}})
    const drift = await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})
    expect(drift.exitCode).toBe(2)
    expect(drift.stdout).toContain(`drift: op holds version ${githubItem.id}:2, state recorded ${githubItem.id}:1`)
    expect(drift.stdout).toMatch(/records what op holds now \(read-only: nothing is written\)/)
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    expect((await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})).exitCode).toBe(0)
    expect((await secretctl(['exec', '--secret', 'github,key=TOKEN,target=GH', '--', ...probe('GH')], {cwd: dir})).stdout).toBe(
      await sha(rotated),
    )

    // Read-only refusals change nothing: a move onto op, `secret set` on it.
    writeFiles(dir, {'local.yaml': 'kind: Secret\nname: local\n'})
    const set = await secretctl(['secret', 'set', 'local', 'K'], {cwd: dir, env, input: canary('local-k')})
    expect(set.exitCode, set.stderr).toBe(0)
    const before = stateBytes(dir)
    writeFiles(dir, {'local.yaml': 'kind: Secret\nname: local\nbackend: op\n'})
    const onto = await secretctl(['plan'], {cwd: dir, env})
    expect(onto.exitCode).toBe(1)
    expect(onto.stderr).toMatch(/secret local would move onto op, which is read-only/)
    const setOnOp = await secretctl(['secret', 'set', 'github', 'TOKEN'], {cwd: dir, env, input: canary('refused')})
    expect(setOnOp.exitCode).toBe(1)
    expect(setOnOp.stderr).toMatch(/backend op is read-only/)
    expect(stateBytes(dir)).toEqual(before)
    expect(op.log.filter((e) => e.method !== 'GET')).toEqual([])
    writeFiles(dir, {'local.yaml': 'kind: Secret\nname: local\n'})

    // Prune forgets the record; the item stays in 1Password.
    writeFiles(dir, {'s.yaml': docs(envSecret('op-creds', {token: 'OP_TOKEN'}, {backend: 'default'}), github())})
    const prune = await secretctl(['plan', '--prune'], {cwd: dir, env})
    expect(prune.stdout).toMatch(/forgets the record, the value stays on op \(read-only\)/)
    expect((await secretctl(['apply', '--prune', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    expect(await secretBackend(dir, 'whole')).toBeUndefined()
    expect(op.readItem('Eng', 'whole')?.fields.find((f) => f.label === 'A')?.value).toBe(wholeA)

    // A move off op copies: the row then holds the value, the item stays, the copy on op is recorded as kept.
    writeFiles(dir, {'s.yaml': docs(envSecret('op-creds', {token: 'OP_TOKEN'}, {backend: 'default'}), github('default'))})
    const move = await secretctl(['plan'], {cwd: dir, env})
    expect(move.stdout).toMatch(/backend op → default \(keeping the copy on op: read-only\)/)
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    expect(await secretBackend(dir, 'github')).toBe('default')
    expect(await rowData(dir, 'github')).toEqual({TOKEN: rotated})
    expect(op.readItem('Eng', 'GitHub')?.fields[0]?.value).toBe(rotated)
    const kept = await queryState(dir, 'select secret_name, pending from retained_copies')
    expect(kept).toEqual([{secret_name: 'github', pending: expect.anything()}])
    expect((await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})).exitCode).toBe(0)
    expect(op.log.filter((e) => e.method !== 'GET')).toEqual([])
    await assertAuditClean(dir)
  }, 300_000) // some twenty runs of the CLI: on a busy machine, Postgres mode takes over a minute

  it('a token without access to the vault is an error (403), never a planned create or delete', async () => {
    op.createItem('Eng', {title: 'svc', fields: {K: canary('svc')}})
    const vault = op.vaults().find((v) => v.name === 'Eng')!
    const {token: narrow} = op.createToken({vaults: {}})
    const env = {OP_TOKEN: op.token}
    const byId = `kind: Secret\nname: svc\nbackend: op\nrefs: {K: "op://${vault.id}/svc/K"}\n`
    const dir = tempProject({'b.yaml': backend(), 's.yaml': docs(envSecret('op-creds', {token: 'OP_TOKEN'}, {backend: 'default'}), byId)})
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    const before = stateBytes(dir)
    // This run's own token (SECRETCTL_BACKEND_TOKEN_OP) may not read the vault: the plan fails, it never reads "missing".
    const narrowEnv = {...env, SECRETCTL_BACKEND_TOKEN_OP: narrow}
    const refused = await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env: narrowEnv})
    expect(refused.exitCode).toBe(1)
    expect(refused.stderr).toMatch(/permission denied .*\(403: Authorization: token does not have access to vault/)
    expect(refused.stdout).not.toMatch(/delete|create/)
    const apply = await secretctl(['apply', '--auto-approve', '--prune'], {cwd: dir, env: narrowEnv})
    expect(apply.exitCode).toBe(1)
    expect(stateBytes(dir)).toEqual(before)
    // A vault named (not by id) that the token cannot see is an error too.
    writeFiles(dir, {
      's.yaml': docs(envSecret('op-creds', {token: 'OP_TOKEN'}, {backend: 'default'}), 'kind: Secret\nname: by-name\nbackend: op\n'),
    })
    const hidden = await secretctl(['apply', '--auto-approve'], {cwd: dir, env: narrowEnv})
    expect(hidden.exitCode).toBe(1)
    expect(hidden.stdout + hidden.stderr).toMatch(/no vault named Eng is visible to the token/)
    expect(await secretBackend(dir, 'by-name')).toBeUndefined()
  }, 120_000)
})
