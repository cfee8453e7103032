/**
 * The state database through the CLI, as a user meets it:
 * - values the state no longer holds leave no byte in the state directory (an update, a prune, a
 *   move off the plaintext backend to OpenBao);
 * - a state that is not one (an empty file, a foreign SQLite database, a damaged file) is refused
 *   by name and left as it was; a read-only state is read, and refused for writing, in plain words;
 * - reading commands (plan, get, describe, history, exec, validate) write no file and create no
 *   state, whether or not the state needs a migration; a state that does not exist yet is said
 *   plainly, and `plan` then plans everything as new;
 * - no directory is created for a state a person named; the default `DIR/.secretctl/` is.
 */
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import knex from 'knex'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {startBao, baoBackend, narrowPolicy, type BaoTarget} from './support/bao.js'
import {E2E_STATE, assertAuditClean, canary, queryState, secretctl, stateBytes, stateFile, tempProject, writeFiles} from './support/cli.js'
import {docs, envSecret, plaintextBackend} from './support/manifests.js'

/** Every file under `dir` (path → sha256 of its bytes, and its mtime): a command that writes anything changes this. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const entry of fs.readdirSync(dir, {recursive: true, withFileTypes: true})) {
    const file = path.join(entry.parentPath, entry.name)
    const stat = fs.statSync(file)
    out[path.relative(dir, file)] = entry.isFile()
      ? `${createHash('sha256').update(fs.readFileSync(file)).digest('hex')} ${stat.mtimeMs}`
      : `dir ${stat.mtimeMs}`
  }
  return out
}

/** Names of the files under `dir` whose bytes contain any of `values`. */
function filesHolding(dir: string, values: string[]): string[] {
  return fs
    .readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile() && values.some((v) => fs.readFileSync(path.join(e.parentPath, e.name)).includes(v)))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
}

const onPostgres = E2E_STATE === 'postgres'

describe.skipIf(onPostgres)('no byte of an old value stays in the state directory (SQLite)', () => {
  let bao: BaoTarget
  beforeAll(async () => {
    bao = await startBao()
  })
  afterAll(async () => bao?.close())

  it('after a value update, a prune, and a move off the plaintext backend to OpenBao', async () => {
    await bao.putPolicy(`${bao.prefix}-narrow`, narrowPolicy(bao.prefix))
    const old = {UPD: canary('updated'), DEL: canary('pruned'), MOV: canary('moved')}
    const keep = canary('kept')
    const env = {BAO_TOKEN: await bao.createToken([`${bao.prefix}-narrow`]), ...old, KEEP: keep}
    const secrets = (moved: boolean, pruned: boolean) =>
      docs(
        envSecret('bao-creds', {token: 'BAO_TOKEN'}),
        envSecret('upd', {A: 'UPD'}),
        envSecret('mov', {A: 'MOV'}, moved ? {backend: 'bao'} : {}),
        envSecret('keep', {A: 'KEEP'}),
        ...(pruned ? [] : [envSecret('del', {A: 'DEL'})]),
      )
    const dir = tempProject({'b.yaml': baoBackend(bao), 's.yaml': secrets(false, false)})
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    const stateDir = path.dirname(stateFile(dir))
    expect(filesHolding(stateDir, [old.UPD])).toEqual(['state.db'])

    writeFiles(dir, {'s.yaml': secrets(true, true)})
    const apply = await secretctl(['apply', '--auto-approve', '--prune'], {cwd: dir, env: {...env, UPD: canary('new')}})
    expect(apply.exitCode, apply.stderr).toBe(0)
    expect(await bao.readSecret('mov')).toEqual({A: old.MOV})

    expect(filesHolding(stateDir, Object.values(old))).toEqual([])
    expect(fs.readdirSync(stateDir)).toEqual(['state.db'])
    // The scan finds what is still there.
    expect(filesHolding(stateDir, [keep])).toEqual(['state.db'])
    await assertAuditClean(dir)
  })
})

describe('a state that is not one is refused by name and left as it was', () => {
  const env = {V: canary('value')}
  const manifests = {'s.yaml': envSecret('app', {A: 'V'})}

  it('an empty (0-byte) state.db is not a new state', async () => {
    const dir = tempProject(manifests)
    const file = path.join(dir, 'state.db')
    fs.writeFileSync(file, '')
    for (const args of [['plan'], ['apply', '--auto-approve'], ['get', 'secrets']]) {
      const r = await secretctl([...args, '--state', file], {cwd: dir, env})
      expect(r.exitCode, args.join(' ')).toBe(1)
      expect(r.stderr).toContain(`Error: the state sqlite:${file} is an empty file (0 bytes), not a state`)
      expect(r.stderr).toContain(`rm ${file}`)
    }
    expect(fs.statSync(file).size).toBe(0)
  })

  it('a foreign SQLite database given as --state gets no table created in it', async () => {
    const dir = tempProject(manifests)
    const file = path.join(dir, 'app.db')
    const db = knex({client: 'sqlite3', connection: {filename: file}, useNullAsDefault: true})
    await db.schema.createTable('users', (t) => {
      t.increments('id')
      t.string('email')
    })
    await db.destroy()
    const before = fs.readFileSync(file)
    for (const args of [['plan'], ['apply', '--auto-approve'], ['history']]) {
      const r = await secretctl([...args, '--state', file], {cwd: dir, env})
      expect(r.exitCode, args.join(' ')).toBe(1)
      expect(r.stderr).toContain(`Error: sqlite:${file} is a database but not a secretctl state (it has other tables: users)`)
    }
    expect(fs.readFileSync(file).equals(before)).toBe(true)
  })

  it('a damaged state is reported as damaged, naming the file, not as "migrated by a newer secretctl"', async () => {
    const dir = tempProject(manifests)
    const file = path.join(dir, 'state.db')
    expect((await secretctl(['apply', '--auto-approve', '--state', file], {cwd: dir, env})).exitCode).toBe(0)
    const bytes = fs.readFileSync(file)
    const pageSize = bytes.readUInt16BE(16)
    for (let page = 1; page * pageSize < bytes.length; page++) bytes.fill(0xa5, page * pageSize, page * pageSize + 12)
    fs.writeFileSync(file, bytes)
    for (const args of [['plan'], ['apply', '--auto-approve']]) {
      const r = await secretctl([...args, '--state', file], {cwd: dir, env})
      expect(r.exitCode, args.join(' ')).toBe(1)
      expect(r.stderr).toContain(`Error: the state sqlite:${file} is damaged`)
      expect(r.stderr).not.toMatch(/newer|SQLITE_|insert into|select /i)
    }
  })

  it('a read-only state is read by plan, and refused by apply in plain words before anything is written', async () => {
    const dir = tempProject(manifests)
    const file = path.join(dir, 'state.db')
    expect((await secretctl(['apply', '--auto-approve', '--state', file], {cwd: dir, env})).exitCode).toBe(0)
    const changed = {V: canary('changed')}
    const before = tree(dir)
    // Root ignores modes: as root, the CLI runs without the capabilities that override them
    // (fileModesHold). (Running as another user instead needs every directory above the checkout
    // to be open to that user, which a mktemp -d clone is not.)
    const modes = {dir: fs.statSync(dir).mode & 0o777, file: fs.statSync(file).mode & 0o777}
    fs.chmodSync(file, 0o444)
    fs.chmodSync(dir, 0o555)
    const home = fs.mkdtempSync(path.join(tmpdir(), 'secretctl-home-'))
    const run = (args: string[]) =>
      secretctl([...args, '--state', file], {
        cwd: dir,
        env: {...changed, HOME: home, XDG_CONFIG_HOME: home, XDG_CACHE_HOME: home, XDG_DATA_HOME: home},
        fileModesHold: true,
      })
    try {
      const plan = await run(['plan', '--detailed-exitcode'])
      expect(plan.exitCode, plan.stderr).toBe(2)
      expect(plan.stdout).toContain('~ secret.app')
      const apply = await run(['apply', '--auto-approve'])
      expect(apply.exitCode).toBe(1)
      expect(apply.stderr).toContain(`Error: the state sqlite:${file} is read-only for this command`)
      expect(apply.stderr).not.toMatch(/SQLITE_|insert into|select /i)
      // The file writable, its directory not: SQLite could not create its journal there.
      fs.chmodSync(file, 0o644)
      const noJournal = await run(['apply', '--auto-approve'])
      expect(noJournal.exitCode).toBe(1)
      expect(noJournal.stderr).toContain(`Error: the state sqlite:${file} is read-only for this command: its directory ${dir}`)
    } finally {
      fs.chmodSync(dir, modes.dir)
      fs.chmodSync(file, modes.file)
      fs.rmSync(home, {recursive: true, force: true})
    }
    expect(tree(dir)).toEqual(before)
  })
})

describe('reading commands never write', () => {
  const reads = (secret: string): string[][] => [
    ['plan'],
    ['plan', '--json', '--prune', '--rotate'],
    ['validate'],
    ['get', 'secrets'],
    ['get', 'backends', '-o', 'json'],
    ['describe', 'secret', secret],
    ['describe', 'backend', 'default'],
    ['history'],
    ['exec', '--secret', secret, '--', 'node', '-e', ''],
  ]

  async function assertNoWrites(dir: string, env: Record<string, string>, expectOk: boolean): Promise<void> {
    const files = tree(dir)
    const state = stateBytes(dir)
    for (const args of reads('app')) {
      const r = await secretctl(args, {cwd: dir, env})
      if (expectOk) expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(0)
      expect(tree(dir), args.join(' ')).toEqual(files)
      expect(stateBytes(dir)?.equals(state!), args.join(' ')).toBe(true)
    }
  }

  it('with a state that needs no migration, even when the plan has changes', async () => {
    const dir = tempProject({'b.yaml': plaintextBackend('other'), 's.yaml': envSecret('app', {A: 'V'})})
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env: {V: canary('v1')}})).exitCode).toBe(0)
    await assertNoWrites(dir, {V: canary('v2')}, true)
  })

  it('with a state an older secretctl made (migrations pending): read as it is; the next apply migrates it', async () => {
    const dir = tempProject({'s.yaml': envSecret('app', {A: 'V'})})
    const env = {V: canary('v')}
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    // Back to the schema of the version before: only the first migration.
    await queryState(dir, "delete from knex_migrations where name <> '001-initial'")
    await queryState(dir, 'alter table locks drop column boot_id')
    await queryState(dir, 'alter table locks drop column started')
    await queryState(dir, 'alter table retained_copies drop column pending')
    await queryState(dir, 'alter table backends drop column kind_state')
    await assertNoWrites(dir, env, true)
    expect((await queryState<{name: string}>(dir, 'select name from knex_migrations')).map((r) => r.name)).toEqual(['001-initial'])
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    expect((await queryState<{name: string}>(dir, 'select name from knex_migrations order by id')).map((r) => r.name)).toEqual([
      '001-initial',
      '002-lock-holder-process',
      '003-erase-freed-pages',
      '004-opaque-versions',
      '005-pending-copy-deletes',
      '006-kind-state',
    ])
  })
})

describe('a state that does not exist yet', () => {
  const env = {V: canary('value')}
  const manifests = {'s.yaml': envSecret('app', {A: 'V'})}

  async function noTables(dir: string): Promise<boolean> {
    if (E2E_STATE !== 'postgres') return !fs.existsSync(path.dirname(stateFile(dir)))
    const rows = await queryState<{n: string | number}>(
      dir,
      'select count(*) as n from information_schema.tables where table_schema = current_schema()',
    )
    return Number(rows[0]!.n) === 0
  }

  it('plan says so and plans everything as new, creating nothing; plan --out is refused', async () => {
    const dir = tempProject(manifests)
    const files = tree(dir)
    const plan = await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})
    expect(plan.exitCode, plan.stderr).toBe(2)
    expect(plan.stdout).toMatch(/^No state yet at (sqlite:|postgres).*: everything is new\.\n/)
    expect(plan.stdout).toContain('+ secret.app')
    const out = await secretctl(['plan', '--out', 'plan.json'], {cwd: dir, env})
    expect(out.exitCode).toBe(1)
    expect(out.stderr).toMatch(/^Error: no state yet at /)
    expect(out.stderr).toContain('apply once, then plan --out')
    expect(tree(dir)).toEqual(files)
    expect(await noTables(dir)).toBe(true)
  })

  it('get, describe, history, exec and validate say so (or need none) and create nothing; apply FILE creates none', async () => {
    const dir = tempProject(manifests)
    const files = tree(dir)
    for (const args of [['get', 'secrets'], ['describe', 'secret', 'app'], ['history'], ['exec', '--secret', 'app', '--', 'true']]) {
      const r = await secretctl(args, {cwd: dir, env})
      expect(r.exitCode, args.join(' ')).toBe(1)
      expect(r.stderr, args.join(' ')).toMatch(/^Error: no state yet at (sqlite:|postgres)/)
      expect(r.stderr).toContain('`secretctl apply` creates it')
    }
    expect((await secretctl(['validate'], {cwd: dir, env})).exitCode).toBe(0)
    expect(tree(dir)).toEqual(files)
    expect(await noTables(dir)).toBe(true)

    // A saved plan from another project applies to the state it was made against, never to a new one.
    const other = tempProject(manifests)
    expect((await secretctl(['apply', '--auto-approve'], {cwd: other, env})).exitCode).toBe(0)
    writeFiles(other, {'s.yaml': envSecret('app', {A: 'V'}) + '---\n' + envSecret('more', {A: 'V'})})
    expect((await secretctl(['plan', '--out', 'plan.json'], {cwd: other, env})).exitCode).toBe(0)
    const saved = path.join(other, 'plan.json')
    const applied = await secretctl(['apply', saved], {cwd: dir, env})
    expect(applied.exitCode).toBe(1)
    expect(applied.stderr).toMatch(/^Error: no state yet at /)
    expect(await noTables(dir)).toBe(true)
  })

  it.skipIf(onPostgres)(
    'apply creates the default DIR/.secretctl/ (0700), but never a directory named by --state, SECRETCTL_STATE or secretctl.yaml',
    async () => {
      const dir = tempProject(manifests)
      const missing = path.join(dir, 'nonexistent', 'dir')
      for (const [args, extraEnv, config] of [
        [['plan', '--state', path.join(missing, 'x.db')], {}, undefined],
        [['apply', '--auto-approve', '--state', path.join(missing, 'x.db')], {}, undefined],
        [['get', 'secrets', '--state', path.join(missing, 'x.db')], {}, undefined],
        [['apply', '--auto-approve'], {SECRETCTL_STATE: 'sqlite:nonexistent/dir/x.db'}, undefined],
        [['apply', '--auto-approve'], {}, 'state: nonexistent/dir/x.db\n'],
      ] as const) {
        if (config) writeFiles(dir, {'secretctl.yaml': config})
        const r = await secretctl([...args], {cwd: dir, env: {...env, ...extraEnv}})
        fs.rmSync(path.join(dir, 'secretctl.yaml'), {force: true})
        expect(r.exitCode, args.join(' ')).toBe(1)
        expect(r.stderr).toContain(`Error: the directory ${missing} of the state sqlite:${path.join(missing, 'x.db')} does not exist`)
      }
      expect(fs.existsSync(path.join(dir, 'nonexistent'))).toBe(false)
      expect(fs.existsSync(path.join(dir, '.secretctl'))).toBe(false)
      expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
      expect(fs.statSync(path.join(dir, '.secretctl')).mode & 0o777).toBe(0o700)
      expect(fs.readdirSync(path.join(dir, '.secretctl'))).toEqual(['state.db'])
    },
  )
})
