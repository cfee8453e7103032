/**
 * `exec` with the fallback chain and masking, the environment kind, and the `secret` verbs, run as
 * a user runs them: a CI-like run with no state database at all (values from
 * SECRETCTL_SECRET_<NAME>_<KEY>), the error naming each link tried, --require-all failing before
 * the child starts, output masking with a value split across two writes (a pipe protocol: the
 * test releases the second half only once the first write has come out), exit codes and
 * forwarded signals, and `secret set/get/list` with their refusals. Every output is searched for
 * the planted values.
 */
import {execa} from 'execa'
import {createHash} from 'node:crypto'
import {existsSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {assertAuditClean, assertNoCanary, canary, CLI, queryState, secretctl, tempProject, writeFiles} from './support/cli.js'
import {envSecret} from './support/manifests.js'

const sha = (v: string) => createHash('sha256').update(v).digest('hex')
const probe = (variable: string) => [
  'node',
  '-e',
  `process.stdout.write(require("crypto").createHash("sha256").update(process.env.${variable} ?? "").digest("hex"))`,
]

/** A directory with no state anywhere (not even in Postgres mode), and the given files. */
function statelessProject(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'secretctl-e2e-nostate-'))
  writeFiles(dir, files)
  return dir
}

const CHAIN = 'exec:\n  resolve: [backend, environment]\n'

/** Runs the CLI with stdin and stdout as pipes; `onOutput` sees stdout as it grows and may write to stdin. */
async function interactive(
  args: string[],
  cwd: string,
  env: Record<string, string>,
  onOutput: (out: string, stdin: NodeJS.WritableStream, kill: (s: NodeJS.Signals) => void) => void,
) {
  const proc = execa('node', [CLI, ...args], {
    cwd,
    env: {NO_COLOR: '1', ...env},
    extendEnv: true,
    reject: false,
    stdin: 'pipe',
    timeout: 60_000,
  })
  let out = ''
  proc.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString()
    onOutput(out, proc.stdin as NodeJS.WritableStream, (s) => proc.kill(s))
  })
  const r = await proc
  const result = {exitCode: r.exitCode ?? -1, stdout: out, stderr: String(r.stderr ?? '')}
  assertNoCanary(result.stdout, `stdout of secretctl ${args.join(' ')}`)
  assertNoCanary(result.stderr, `stderr of secretctl ${args.join(' ')}`)
  return result
}

describe('exec through the environment, with no state database (a CI-like run)', () => {
  it('resolves from SECRETCTL_SECRET_<NAME>_<KEY>, names each link tried, and never creates a state', async () => {
    const token = canary('ci-token')
    const dir = statelessProject({'secretctl.yaml': CHAIN})
    const env = {SECRETCTL_SECRET_MY_APP_API_KEY: token}
    const r = await secretctl(['exec', '--secret', 'my-app,key=API_KEY', '--', ...probe('API_KEY')], {cwd: dir, env})
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toBe(sha(token))
    const mapped = await secretctl(['exec', '--secret', 'my-app,key=API_KEY,target=TOKEN', '--', ...probe('TOKEN')], {cwd: dir, env})
    expect(mapped.stdout).toBe(sha(token))

    const none = await secretctl(['exec', '--secret', 'nope,key=K', '--', 'true'], {cwd: dir, env})
    expect(none.exitCode).toBe(1)
    expect(none.stderr).toMatch(
      /key K of secret nope not found \(backend: no state yet at (sqlite:|postgres).*; environment: SECRETCTL_SECRET_NOPE_K is not set\)/,
    )
    const noKeys = await secretctl(['exec', '--secret', 'my-app', '--', 'true'], {cwd: dir, env})
    expect(noKeys.exitCode).toBe(1)
    expect(noKeys.stderr).toMatch(/environment: no state records secret my-app and no manifest declares its keys: give key=KEY/)
    // The default chain is [backend] alone.
    const plain = statelessProject({})
    const backendOnly = await secretctl(['exec', '--secret', 'my-app,key=API_KEY', '--', 'true'], {cwd: plain, env})
    expect(backendOnly.stderr).toMatch(/^Error: no state yet at (sqlite:|postgres)/)
    expect(existsSync(path.join(dir, '.secretctl'))).toBe(false)
    expect(existsSync(path.join(plain, '.secretctl'))).toBe(false)
  })

  it('takes the keys the manifests declare; --require-all fails before the child starts when one is missing', async () => {
    const a = canary('key-a')
    const dir = statelessProject({
      'secretctl.yaml': CHAIN,
      'b.yaml': 'kind: SecretBackend\nname: ci\ntype: environment\n',
      's.yaml': 'kind: Secret\nname: app\nbackend: ci\nrefs:\n  A:\n  B:\n',
    })
    const env = {SECRETCTL_SECRET_APP_A: a}
    const partial = await secretctl(['exec', '--secret', 'app', '--', ...probe('A')], {cwd: dir, env})
    expect(partial.exitCode, partial.stderr).toBe(0)
    expect(partial.stdout).toBe(sha(a))
    expect(partial.stderr).toContain('warning: secret app has no B on environment: not injected')
    const strict = await secretctl(
      ['exec', '--require-all', '--secret', 'app', '--', 'node', '-e', 'require("fs").writeFileSync("started", "")'],
      {
        cwd: dir,
        env,
      },
    )
    expect(strict.exitCode).toBe(1)
    expect(strict.stderr).toContain('--require-all: secret app has no B on environment')
    expect(existsSync(path.join(dir, 'started'))).toBe(false)
    expect(existsSync(path.join(dir, '.secretctl'))).toBe(false)
  })
})

describe('exec output masking, exit codes and signals', () => {
  async function project(value: string) {
    const dir = tempProject({'s.yaml': envSecret('app', {TOKEN: 'APP_TOKEN'})})
    const applied = await secretctl(['apply', '--auto-approve'], {cwd: dir, env: {APP_TOKEN: value}})
    expect(applied.exitCode, applied.stderr).toBe(0)
    return dir
  }

  it('masks a value split across two writes, on stdout and stderr, and passes the exit code', async () => {
    const token = canary('split')
    const dir = await project(token)
    const half = token.slice(0, token.length >> 1)
    // The child writes "before <first half>", waits for a line on stdin, then writes the rest.
    const child = [
      'const v = process.env.TOKEN, h = v.length >> 1',
      'process.stdout.write("before " + v.slice(0, h))',
      'process.stdin.once("data", () => { process.stdout.write(v.slice(h) + " after\\n"); process.stderr.write("err " + v + "\\n"); process.exit(3) })',
    ].join(';')
    let released = false
    const r = await interactive(['exec', '--secret', 'app,key=TOKEN', '--', 'node', '-e', child], dir, {}, (out, stdin) => {
      // "before " came out on its own: the first write reached secretctl, which held back only what could begin the value.
      if (!released && out.includes('before ')) {
        released = true
        expect(out).toBe('before ')
        stdin.write('go\n')
      }
    })
    expect(released).toBe(true)
    expect(r.exitCode).toBe(3)
    expect(r.stdout).toBe('before *** after\n')
    expect(r.stdout).not.toContain(half)
    expect(r.stderr).toBe('err ***') // execa drops the final newline
  })

  it('--no-masking passes output through as is', async () => {
    const visible = `visible-${Date.now().toString(36)}` // not a canary: this run prints it on purpose
    const dir = await project(visible)
    const r = await secretctl(['exec', '--no-masking', '--secret', 'app', '--', 'node', '-e', 'process.stdout.write(process.env.TOKEN)'], {
      cwd: dir,
    })
    expect(r.stdout).toBe(visible)
  })

  it('forwards SIGTERM to the child and passes its status; a child killed by it gives 128 + 15', async () => {
    const dir = await project(canary('signals'))
    const handles =
      'process.on("SIGTERM", () => { process.stdout.write("got SIGTERM\\n"); process.exit(42) }); process.stdout.write("ready\\n"); setInterval(() => {}, 1000)'
    const waitReady = (out: string, _: NodeJS.WritableStream, kill: (s: NodeJS.Signals) => void) => {
      if (out === 'ready\n') kill('SIGTERM')
    }
    const handled = await interactive(['exec', '--secret', 'app', '--', 'node', '-e', handles], dir, {}, waitReady)
    expect(handled.stdout).toBe('ready\ngot SIGTERM\n')
    expect(handled.exitCode).toBe(42)
    const killed = await interactive(
      ['exec', '--secret', 'app', '--', 'node', '-e', 'process.stdout.write("ready\\n"); setInterval(() => {}, 1000)'],
      dir,
      {},
      waitReady,
    )
    expect(killed.exitCode).toBe(143)
  })
})

describe('the environment kind as a backend', () => {
  it('records a secret from the environment, reads it at exec time, and refuses secret set', async () => {
    const first = canary('env-first')
    const dir = tempProject({
      'b.yaml': 'kind: SecretBackend\nname: ci\ntype: environment\n',
      's.yaml': 'kind: Secret\nname: app\nbackend: ci\nrefs:\n  API_KEY:\n  OTHER: MY_OTHER\n',
    })
    const env = {SECRETCTL_SECRET_APP_API_KEY: first, MY_OTHER: canary('env-other')}
    const applied = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
    expect(applied.exitCode, applied.stderr).toBe(0)
    const [row] = await queryState<{keys: string; backend_version: string | null}>(
      dir,
      "select keys, backend_version from secrets where name = 'app'",
    )
    expect(JSON.parse(row!.keys)).toMatchObject({API_KEY: {source: 'external'}, OTHER: {ref: 'MY_OTHER'}})
    // Read at exec time, from that run's environment.
    const later = canary('env-later')
    const r = await secretctl(['exec', '--secret', 'app', '--', ...probe('API_KEY')], {
      cwd: dir,
      env: {...env, SECRETCTL_SECRET_APP_API_KEY: later},
    })
    expect(r.stdout).toBe(sha(later))
    const set = await secretctl(['secret', 'set', 'app', 'API_KEY'], {cwd: dir, env, input: canary('refused')})
    expect(set.exitCode).toBe(1)
    expect(set.stderr).toMatch(/backend ci is read-only/)
    await assertAuditClean(dir)
  })
})

describe('secret set / get / list', () => {
  it('sets placement-only keys from stdin under the lock, reveals one with --reveal, lists names and keys, all audited', async () => {
    const dir = tempProject({
      's.yaml': `kind: Secret\nname: manual\n---\n${envSecret('sourced', {K: 'SRC_K'})}`,
    })
    const env = {SRC_K: canary('sourced')}
    const first = canary('manual-a')
    const set = await secretctl(['secret', 'set', 'manual', 'A'], {cwd: dir, env, input: `${first}\n`})
    expect(set.exitCode, set.stderr).toBe(0)
    expect(set.stdout).toBe('Created secret manual: A set on default.')
    const visible = `shown-${Date.now().toString(36)}` // not a canary: `secret get --reveal` prints it on purpose
    expect((await secretctl(['secret', 'set', 'manual', 'B', '--json'], {cwd: dir, env, input: visible})).exitCode).toBe(0)
    // Placement-only and now in the state: plan has nothing else to say about it.
    const applied = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
    expect(applied.exitCode, applied.stderr).toBe(0)
    expect((await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})).exitCode).toBe(0)

    const list = await secretctl(['secret', 'list', '-o', 'json'], {cwd: dir})
    expect(JSON.parse(list.stdout)).toEqual([
      {name: 'manual', backend: 'default', keys: ['A', 'B']},
      {name: 'sourced', backend: 'default', keys: ['K']},
    ])
    const refused = await secretctl(['secret', 'get', 'manual', 'B'], {cwd: dir})
    expect(refused.exitCode).toBe(1)
    expect(refused.stderr).toMatch(/add --reveal/)
    const got = await secretctl(['secret', 'get', 'manual', 'B', '--reveal'], {cwd: dir})
    expect(got.stdout).toBe(visible)

    const sourced = await secretctl(['secret', 'set', 'sourced', 'K'], {cwd: dir, env, input: canary('no')})
    expect(sourced.stderr).toMatch(/secret sourced takes K from its env source/)
    const undeclared = await secretctl(['secret', 'set', 'ghost', 'K'], {cwd: dir, env, input: canary('no2')})
    expect(undeclared.stderr).toMatch(/secret ghost is not declared in the manifests/)
    const empty = await secretctl(['secret', 'set', 'manual', 'C'], {cwd: dir, env, input: ''})
    expect(empty.stderr).toMatch(/no value given/)

    const history = await secretctl(['history', '--json'], {cwd: dir})
    const actions = JSON.parse(history.stdout).flatMap((run: {changes: {action: string; address: string}[]}) =>
      run.changes.map((c) => `${c.action} ${c.address}`),
    )
    expect(actions).toEqual(expect.arrayContaining(['set secret.manual', 'reveal secret.manual']))
    await assertAuditClean(dir)
    const audit = JSON.stringify(await queryState(dir, 'select * from audit'))
    expect(audit).not.toContain(visible)
  }, 120_000)
})
