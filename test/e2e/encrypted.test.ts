/**
 * The encrypted backend end to end, through the built CLI: create (state and file variants), read
 * through `exec`, moves plaintext → encrypted → OpenBao and back, drift of the file variant,
 * `backend rekey` killed with SIGKILL at points chosen by what it has done, a wrong password, a tampered ciphertext, a
 * truncated file, no password in CI, and ToolHive files in both formats imported with the plan
 * converged. Every value and password is a canary: searched in every output, in the state (the
 * SQLite file's bytes, or every Postgres table) and in the store file, which must hold ciphertext only.
 */
import {createHash} from 'node:crypto'
import {readFileSync, statSync, truncateSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {writeToolhiveFile} from '../support/toolhive-writer.js'
import {startBao, baoBackend, narrowPolicy, type BaoTarget} from './support/bao.js'
import {
  assertAuditClean,
  assertNoCanary,
  CLI,
  canary,
  postgresUrlOf,
  queryState,
  rowData,
  secretBackend,
  secretctl,
  stateBytes,
  tempProject,
  writeFiles,
} from './support/cli.js'
import {docs, envSecret} from './support/manifests.js'
import {createRole, freshDatabase, sql} from './support/postgres-roles.js'
import {stateFreezer} from './support/state-freeze.js'
import {waitFor} from '../support/wait-for.js'

const PASSWORD = canary('enc-password')
/** Cheap Argon2id for the many processes here; the default cost is measured by the benchmark. */
const FAST_KDF = 'kdf: {timeCost: 1, memoryKiB: 1024, parallelism: 1}'

function encryptedBackend(name: string, extra = ''): string {
  return `kind: SecretBackend\nname: ${name}\ntype: encrypted\nconfig:\n  ${FAST_KDF}\n${extra}`
}

const sha = (v: string) => createHash('sha256').update(v).digest('hex')

/** What a consumer launched by exec sees: sha256 of one variable. */
async function consumerSees(dir: string, secret: string, variable: string, env: Record<string, string>) {
  const script = `process.stdout.write(require("crypto").createHash("sha256").update(process.env.${variable} ?? "").digest("hex"))`
  return secretctl(['exec', '--secret', secret, '--', 'node', '-e', script], {cwd: dir, env})
}

function expectCiphertextOnly(bytes: Buffer | string | null, where: string): void {
  if (bytes === null) return
  assertNoCanary(Buffer.isBuffer(bytes) ? bytes.toString('latin1') : bytes, where)
}

let bao: BaoTarget
beforeAll(async () => {
  bao = await startBao()
})
afterAll(async () => bao?.close())

describe('encrypted backend in the state database', () => {
  it('creates secrets, exec reads them, the state holds envelopes only, plan converges', async () => {
    const env = {SECRETCTL_ENCRYPTION_PASSWORD: PASSWORD, GH: canary('gh'), DB: canary('db')}
    const dir = tempProject({
      'b.yaml': encryptedBackend('vault'),
      's.yaml': docs(envSecret('github', {GITHUB_TOKEN: 'GH'}, {backend: 'vault'}), envSecret('db', {URL: 'DB'}, {backend: 'vault'})),
    })
    const apply = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
    expect(apply.exitCode, apply.stderr).toBe(0)
    expect((await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})).exitCode).toBe(0)
    const seen = await consumerSees(dir, 'github', 'GITHUB_TOKEN', env)
    expect(seen.exitCode, seen.stderr).toBe(0)
    expect(seen.stdout).toBe(sha(env.GH))
    const row = (await rowData(dir, 'github'))!
    expect(Object.keys(row)).toEqual(['GITHUB_TOKEN'])
    expect(row.GITHUB_TOKEN).toMatch(/^v1:[A-Za-z0-9+/]+=*$/)
    const header = await queryState<{kind_state: string}>(dir, "select kind_state from backends where name = 'vault'")
    expect(JSON.parse(header[0]!.kind_state).kdf.algorithm).toBe('argon2id')
    expectCiphertextOnly(stateBytes(dir), 'the state database')
    await assertAuditClean(dir)
  })

  it('a wrong password, no password in CI, a tampered ciphertext: clear errors naming the backend, nothing changed, never missing', async () => {
    const env = {SECRETCTL_ENCRYPTION_PASSWORD: PASSWORD, V: canary('v'), W: canary('w')}
    const manifests = (variable: string) => ({
      'b.yaml': encryptedBackend('vault'),
      's.yaml': envSecret('app', {KEY: variable}, {backend: 'vault'}),
    })
    const dir = tempProject(manifests('V'))
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    writeFiles(dir, manifests('W')) // an update is pending: it must not happen with a wrong password

    const wrong = {...env, SECRETCTL_ENCRYPTION_PASSWORD: canary('wrong-password')}
    for (const args of [
      ['apply', '--auto-approve'],
      ['exec', '--secret', 'app', '--', 'true'],
    ]) {
      const r = await secretctl(args, {cwd: dir, env: wrong})
      expect(r.exitCode).toBe(1)
      expect(r.stdout + r.stderr).toContain('wrong password for backend vault')
      expect(r.stdout + r.stderr).not.toMatch(/holds no value|no secret named|missing/)
    }
    const ci = await secretctl(['exec', '--secret', 'app', '--', 'true'], {
      cwd: dir,
      env: {...env, SECRETCTL_ENCRYPTION_PASSWORD: '', CI: 'true'},
    })
    expect(ci.exitCode).toBe(1)
    expect(ci.stderr).toContain('no password for encrypted backend vault')
    expect(ci.stderr).toContain('set SECRETCTL_ENCRYPTION_PASSWORD; store it in the OS keyring; or run at a terminal')
    // The failed apply changed no value: the consumer still sees the old one.
    expect((await consumerSees(dir, 'app', 'KEY', env)).stdout).toBe(sha(env.V))

    // One changed byte in the envelope: reading it is an error naming secret, key and backend.
    const row = (await rowData(dir, 'app'))!
    const body = Buffer.from(row.KEY!.slice(3), 'base64')
    body[body.length - 20]! ^= 0x01
    await queryState(dir, 'update secrets set data = ? where name = ?', [JSON.stringify({KEY: `v1:${body.toString('base64')}`}), 'app'])
    const tampered = await secretctl(['exec', '--secret', 'app', '--', 'true'], {cwd: dir, env})
    expect(tampered.exitCode).toBe(1)
    expect(tampered.stderr).toContain('value of secret app key KEY on backend vault is corrupt or was altered')
    // The pending update writes the new value from its source without reading the altered one.
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    expect((await consumerSees(dir, 'app', 'KEY', env)).stdout).toBe(sha(env.W))
    await assertAuditClean(dir)
  })
})

describe.runIf(process.env.SECRETCTL_E2E_STATE !== 'postgres')('encrypted backend and the Postgres roles', () => {
  it('the planner plans without the password and cannot read the envelopes; the applier rekeys', async () => {
    const {db, url} = await freshDatabase()
    const env = {SECRETCTL_ENCRYPTION_PASSWORD: PASSWORD, V: canary('pg-enc'), W: canary('pg-enc-2')}
    const dir = tempProject({'b.yaml': encryptedBackend('vault'), 's.yaml': envSecret('app', {KEY: 'V'}, {backend: 'vault'})})
    expect((await secretctl(['apply', '--auto-approve', '--state', url], {cwd: dir, env})).exitCode).toBe(0)
    const planner = await createRole(db, 'planner', dir)
    const applier = await createRole(db, 'applier', dir)
    await expect(sql(planner, 'select data from secrets')).rejects.toThrow(/permission denied/)
    // The header is readable, and holds nothing secret.
    expect((await sql<{kind_state: string}>(planner, "select kind_state from backends where name = 'vault'"))[0]!.kind_state).toContain(
      'argon2id',
    )

    writeFiles(dir, {'s.yaml': docs(envSecret('app', {KEY: 'W'}, {backend: 'vault'}))})
    const plan = await secretctl(['plan', '--detailed-exitcode', '--state', planner], {cwd: dir, env: {V: env.V, W: env.W}})
    expect(plan.exitCode, plan.stderr).toBe(2)
    expect(plan.stdout).toContain('value of KEY changed')

    const next = canary('pg-enc-new-password')
    const rekey = await secretctl(['backend', 'rekey', 'vault', '--new-password-stdin', '--state', applier], {cwd: dir, env, input: next})
    expect(rekey.exitCode, rekey.stderr).toBe(0)
    const seen = await secretctl(['exec', '--state', applier, '--secret', 'app', '--', 'true'], {
      cwd: dir,
      env: {SECRETCTL_ENCRYPTION_PASSWORD: next},
    })
    expect(seen.exitCode, seen.stderr).toBe(0)
    assertNoCanary(
      JSON.stringify(await sql(url, 'select * from secrets')) + JSON.stringify(await sql(url, 'select * from audit')),
      'the Postgres state',
    )
  })
})

describe('encrypted backend in a file', () => {
  it('creates a 0600 file of ciphertext only, exec reads it, and another writer of the file is drift', async () => {
    const store = path.join(tempProject(), 'shared.enc.json')
    const env = {SECRETCTL_ENCRYPTION_PASSWORD: PASSWORD, A: canary('a'), B: canary('b')}
    const project = (variable: string) => ({
      'b.yaml': encryptedBackend('vault', `  path: ${store}\n`),
      's.yaml': envSecret('app', {KEY: variable}, {backend: 'vault'}),
    })
    const dir = tempProject(project('A'))
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    expect(statSync(store).mode & 0o777).toBe(0o600)
    expect((await consumerSees(dir, 'app', 'KEY', env)).stdout).toBe(sha(env.A))
    expect((await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})).exitCode).toBe(0)
    expect(await rowData(dir, 'app')).toBeNull()

    // Another project (another state) writes the same secret into the same file: for this state, drift.
    const other = tempProject(project('B'))
    expect((await secretctl(['apply', '--auto-approve'], {cwd: other, env})).exitCode).toBe(0)
    const drift = await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})
    expect(drift.exitCode).toBe(2)
    expect(drift.stdout).toContain('drift: vault holds version 2, state recorded 1')
    expect(drift.stdout).toContain('KEY changed on vault outside secretctl: written again from its source')
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    expect((await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})).exitCode).toBe(0)
    expect((await consumerSees(dir, 'app', 'KEY', env)).stdout).toBe(sha(env.A))
    expectCiphertextOnly(readFileSync(store), 'the store file')
    expectCiphertextOnly(stateBytes(dir), 'the state database')
  })

  it('a truncated file or a tampered value: an error naming the backend; plan and apply never read it as missing', async () => {
    const env = {SECRETCTL_ENCRYPTION_PASSWORD: PASSWORD, A: canary('a'), B: canary('b')}
    const dir = tempProject({
      'b.yaml': encryptedBackend('vault', '  path: store/vault.json\n'),
      's.yaml': docs(envSecret('app', {KEY: 'A'}, {backend: 'vault'}), envSecret('other', {KEY: 'B'}, {backend: 'vault'})),
    })
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    const store = path.join(dir, 'store/vault.json')
    const good = readFileSync(store)

    const doc = JSON.parse(good.toString())
    const envelope: string = doc.secrets.app.KEY
    doc.secrets.app.KEY = envelope.slice(0, 12) + (envelope[12] === 'A' ? 'B' : 'A') + envelope.slice(13)
    writeFileSync(store, JSON.stringify(doc))
    const tampered = await secretctl(['exec', '--secret', 'app', '--', 'true'], {cwd: dir, env})
    expect(tampered.exitCode).toBe(1)
    expect(tampered.stderr).toContain('value of secret app key KEY on backend vault is corrupt or was altered')
    expect((await consumerSees(dir, 'other', 'KEY', env)).stdout).toBe(sha(env.B))

    writeFileSync(store, good)
    truncateSync(store, Math.floor(good.length / 2))
    const before = stateBytes(dir)
    for (const args of [
      ['plan', '--detailed-exitcode'],
      ['exec', '--secret', 'app', '--', 'true'],
    ]) {
      const r = await secretctl(args, {cwd: dir, env})
      expect(r.exitCode).toBe(1)
      expect(r.stderr).toContain('not valid JSON (truncated or corrupt) (backend vault)')
      expect(r.stdout).not.toMatch(/create|no longer holds/)
    }
    expect(stateBytes(dir)).toEqual(before)
    expect(readFileSync(store).length).toBe(Math.floor(good.length / 2))
  })
})

describe('moves: plaintext → encrypted → OpenBao → encrypted file → plaintext', () => {
  it('each hop keeps the value; while on encrypted, neither the state nor the file holds it in the clear', async () => {
    await bao.putPolicy(`${bao.prefix}-narrow`, narrowPolicy(bao.prefix))
    // Several values move together: freed space in the SQLite file must not keep any of them.
    const others = Array.from({length: 12}, (_, i) => `m${i}`)
    const env: Record<string, string> = {
      SECRETCTL_ENCRYPTION_PASSWORD: PASSWORD,
      BAO_TOKEN: await bao.createToken([`${bao.prefix}-narrow`]),
      V: canary('moving'),
      ...Object.fromEntries(others.map((n) => [`V_${n}`, canary(`moving-${n}`)])),
    }
    const manifests = (backend: string) => ({
      'b.yaml': docs(encryptedBackend('vault'), encryptedBackend('filevault', '  path: store/vault.json\n'), baoBackend(bao)),
      's.yaml': docs(
        envSecret('bao-creds', {token: 'BAO_TOKEN'}),
        envSecret('app', {KEY: 'V'}, {backend}),
        ...others.map((n) => envSecret(n, {KEY: `V_${n}`}, {backend})),
      ),
    })
    const dir = tempProject(manifests('default'))
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    expect(await rowData(dir, 'app')).toEqual({KEY: env.V})

    for (const hop of ['vault', 'bao', 'filevault', 'vault', 'default']) {
      writeFiles(dir, manifests(hop))
      const plan = await secretctl(['plan', '--json'], {cwd: dir, env})
      expect(JSON.parse(plan.stdout).changes.map((c: {action: string}) => c.action)).toEqual(Array(others.length + 1).fill('move'))
      const r = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
      expect(r.exitCode, r.stderr).toBe(0)
      expect(await secretBackend(dir, 'app')).toBe(hop)
      const seen = await consumerSees(dir, 'app', 'KEY', env)
      expect(seen.stdout, `after the move to ${hop}: ${seen.stderr}`).toBe(sha(env.V))
      expect((await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})).exitCode).toBe(0)
      if (hop === 'vault') expect((await rowData(dir, 'app'))!.KEY).toMatch(/^v1:/)
      if (hop === 'bao') expect(await bao.readSecret('app')).toEqual({KEY: env.V})
      if (hop === 'filevault') {
        expect(await rowData(dir, 'app')).toBeNull()
        expectCiphertextOnly(readFileSync(path.join(dir, 'store/vault.json')), 'the store file')
      }
      if (hop !== 'default') {
        // Only bao-creds is plaintext in the state; the moved value is nowhere in the clear (freed pages included).
        const bytes = stateBytes(dir)!.toString('latin1')
        for (const n of ['V', ...others.map((o) => `V_${o}`)])
          expect(bytes.includes(env[n]!), `${n} in the state after the move to ${hop}`).toBe(false)
      }
    }
    expect(await bao.readSecret('app')).toBeUndefined()
    expect(JSON.parse(readFileSync(path.join(dir, 'store/vault.json'), 'utf8')).secrets).toEqual({})

    // keepSource off encrypted: the copy left behind stays encrypted.
    writeFiles(dir, manifests('vault'))
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    const keep = manifests('default')
    keep['s.yaml'] = docs(
      envSecret('bao-creds', {token: 'BAO_TOKEN'}),
      envSecret('app', {KEY: 'V'}, {backend: 'default', keepSource: true}),
      ...others.map((n) => envSecret(n, {KEY: `V_${n}`}, {backend: 'default'})),
    )
    writeFiles(dir, keep)
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    const kept = await queryState<{data: string}>(dir, "select data from retained_copies where secret_name = 'app'")
    expect(JSON.parse(kept[0]!.data).KEY).toMatch(/^v1:/)
    await assertAuditClean(dir)
  }, 120_000)
})

describe('backend rekey', () => {
  it.each([
    ['state database', ''],
    ['file', '  path: store/vault.json\n'],
  ])(
    'SIGKILL at chosen points (%s): the old password or the new one opens every value, never a mix',
    async (_label, extra) => {
      const N = 40
      const names = Array.from({length: N}, (_, i) => `s${String(i).padStart(2, '0')}`)
      const values: Record<string, string> = Object.fromEntries(names.map((n) => [`V_${n}`, canary(n)]))
      const dir = tempProject({
        'b.yaml': encryptedBackend('vault', extra),
        's.yaml': docs(...names.map((n) => envSecret(n, {KEY: `V_${n}`}, {backend: 'vault'}))),
      })
      let current = PASSWORD
      const created = await secretctl(['apply', '--auto-approve'], {cwd: dir, env: {...values, SECRETCTL_ENCRYPTION_PASSWORD: current}})
      expect(created.exitCode, created.stdout + created.stderr).toBe(0)

      const rekey = (from: string, actor = 'e2e') =>
        execa('node', [CLI, 'backend', 'rekey', 'vault', '--new-password-stdin'], {
          cwd: dir,
          env: {NO_COLOR: '1', SECRETCTL_ACTOR: actor, SECRETCTL_ENCRYPTION_PASSWORD: from},
          stdin: 'pipe',
          reject: false,
        })
      const first = canary('rekey-first')
      const whole = rekey(current)
      whole.stdin?.end(first)
      const full = await whole
      expect(full.exitCode, String(full.stderr)).toBe(0)
      current = first

      /** Does this password open every value? */
      const opens = async (password: string) =>
        (
          await secretctl(['exec', ...names.flatMap((n) => ['--secret', n]), '--', 'true'], {
            cwd: dir,
            env: {SECRETCTL_ENCRYPTION_PASSWORD: password},
          })
        ).exitCode === 0
      /** The key check of the store as it stands: the state's header row, or the store file's. */
      const keyCheck = async (query: <R>(sql: string, bindings?: unknown[]) => Promise<R[]>) => {
        if (extra) return JSON.parse(readFileSync(path.join(dir, 'store/vault.json'), 'utf8')).keyCheck as string
        const [row] = await query<{kind_state: string}>("select kind_state from backends where name = 'vault'")
        return JSON.parse(row!.kind_state).keyCheck as string
      }
      const freezer = stateFreezer(dir)
      // Kill points chosen by what the run has done, never by time: each kill lands inside the run,
      // which holds the state lock and cannot finish while the test holds the state's write lock.
      //  - 'awaiting': the store opened with the old password, the new one not given yet (the run reads stdin);
      //  - 'replaced': the new key committed (the store file replaced; or, on Postgres, the state's
      //    transaction), the run not finished (its lock release waits for the test);
      //  - 'held': SQLite state variant, where the commit itself waits for the test: the new password
      //    given and the key derived or being derived, the transaction not committed.
      const postgres = !!postgresUrlOf(dir)
      const points = ['awaiting', extra || postgres ? 'replaced' : 'held', 'awaiting', extra || postgres ? 'replaced' : 'held'] as const
      try {
        for (const [i, point] of points.entries()) {
          const next = canary(`rekey-${i}`)
          const actor = `rekey-${i}`
          const child = rekey(current, actor)
          let exited = false
          void child.then(() => (exited = true))
          await waitFor(
            `rekey ${i} to take the state lock`,
            async () => (await queryState<{actor: string}>(dir, 'select actor from locks').catch(() => [])).some((r) => r.actor === actor),
            {stop: () => (exited ? 'it exited' : undefined)},
          )
          const before = await freezer.frozen(keyCheck)
          if (point === 'awaiting') child.kill('SIGKILL')
          else {
            await freezer.frozen(async (query) => {
              child.stdin?.end(next)
              if (point === 'replaced') {
                await waitFor(`rekey ${i} to commit the new key`, async () => (await keyCheck(query)) !== before, {
                  stop: () => (exited ? 'it exited' : undefined),
                })
              }
              child.kill('SIGKILL')
            })
          }
          const r = await child
          expect(r.signal, `rekey ${i} (${point}) was killed before it finished: ${String(r.stderr)}`).toBe('SIGKILL')
          assertNoCanary(String(r.stdout) + String(r.stderr), 'an interrupted rekey')
          const newKey = point === 'replaced'
          expect(
            [await opens(current), await opens(next)],
            `after a kill at '${point}', exactly the ${newKey ? 'new' : 'old'} password opens the store`,
          ).toEqual([!newKey, newKey])
          if (newKey) current = next
          for (const n of [names[0]!, names[N - 1]!]) {
            expect((await consumerSees(dir, n, 'KEY', {SECRETCTL_ENCRYPTION_PASSWORD: current})).stdout).toBe(sha(values[`V_${n}`]!))
          }
          // The killed run's lock is taken over by the next run (its process is gone, on this host).
        }
      } finally {
        await freezer.close()
      }
      const last = rekey(current)
      last.stdin?.end(canary('rekey-last'))
      const finished = await last
      expect(finished.exitCode, String(finished.stderr)).toBe(0)
      expect(String(finished.stderr) + String(finished.stdout)).toMatch(/took over|taking over|took the lock/i)
      const history = await secretctl(['history', '--json'], {cwd: dir})
      expect(JSON.parse(history.stdout).some((run: {changes: {action: string}[]}) => run.changes[0]?.action === 'rekey')).toBe(true)
      expectCiphertextOnly(stateBytes(dir), 'the state database')
      if (extra) expectCiphertextOnly(readFileSync(path.join(dir, 'store/vault.json')), 'the store file')
      await assertAuditClean(dir)
    },
    300_000,
  )
})

describe('import toolhive', () => {
  it.each(['thvsec', 'legacy'] as const)(
    'a ToolHive file (%s) is imported to an encrypted backend and the plan converges',
    async (format) => {
      const thvPassword = canary(`thv-password-${format}`)
      const secrets = {'GitHub Token': canary(`thv-gh-${format}`), slack: canary(`thv-slack-${format}`)}
      const file = path.join(tempProject(), 'secrets_encrypted')
      await writeToolhiveFile(file, secrets, thvPassword, {format})
      const env = {SECRETCTL_ENCRYPTION_PASSWORD: PASSWORD, TOOLHIVE_SECRETS_PASSWORD: thvPassword}
      const dir = tempProject({'b.yaml': encryptedBackend('vault')})
      expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)

      const dry = await secretctl(['import', 'toolhive', '--file', file, '--backend', 'vault', '--dry-run'], {cwd: dir, env})
      expect(dry.exitCode, dry.stderr).toBe(0)
      expect(dry.stdout).toContain('"GitHub Token" → github-token (would import')
      const r = await secretctl(['import', 'toolhive', '--file', file, '--backend', 'vault', '--json'], {cwd: dir, env})
      expect(r.exitCode, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout).secrets.map((s: {name: string; status: string}) => `${s.name} ${s.status}`)).toEqual([
        'github-token imported',
        'slack imported',
      ])
      expect((await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})).exitCode).toBe(0)
      const seen = await secretctl(
        ['exec', '--secret', 'github-token,target=GH', '--', 'node', '-e', 'process.stdout.write(process.env.GH.length + "")'],
        {
          cwd: dir,
          env,
        },
      )
      expect(seen.stdout).toBe(String(secrets['GitHub Token'].length))
      expect((await rowData(dir, 'slack'))!.value).toMatch(/^v1:/)
      expectCiphertextOnly(stateBytes(dir), 'the state database')
      await assertAuditClean(dir)
    },
  )
})
