/**
 * First contact (issue 11): Ctrl-C or "no" at the approval prompt (items 16), the command a saved
 * plan prints works from elsewhere (item 14), `$schema` in manifests (item 22), bootstrap's --url
 * named when wrong (item 21). The prompt runs at a real pseudo-terminal (util-linux `script`).
 */
import {createServer} from 'node:net'
import {existsSync, readFileSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {execa} from 'execa'
import {describe, expect, it} from 'vitest'
import {CLI, canary, queryState, secretctl, tempProject, writeFiles} from './support/cli.js'
import {envSecret} from './support/manifests.js'

/** Runs the CLI at a pseudo-terminal, answering its prompt with `answer` once the prompt appears. */
async function atTerminal(args: string[], cwd: string, env: Record<string, string>, answer: string) {
  const command = ['node', CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  const child = execa('script', ['-qec', command, '/dev/null'], {
    cwd,
    env: {NO_COLOR: '1', TERM: 'xterm', ...env},
    reject: false,
    timeout: 60_000,
  })
  let seen = ''
  await new Promise<void>((resolve) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString()
      if (seen.includes('Only "yes" is accepted')) resolve()
    })
    void child.then(() => resolve())
  })
  child.stdin?.write(answer)
  const r = await child
  return {exitCode: r.exitCode, out: `${seen}${r.stdout ?? ''}`}
}

describe('the approval prompt', () => {
  it('Ctrl-C says "Apply cancelled; nothing changed" and exits 130; "no" exits 1; neither changes the state', async () => {
    const dir = tempProject({'s.yaml': envSecret('app', {A: 'APP_A'})})
    const env = {APP_A: canary('prompt'), APP_B: canary('prompt-b')}
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    writeFiles(dir, {'s.yaml': envSecret('app', {A: 'APP_A', B: 'APP_B'})})
    const contents = async () =>
      JSON.stringify(
        await Promise.all(['secrets', 'backends', 'state_meta', 'audit', 'locks'].map((t) => queryState(dir, `select * from ${t}`))),
      )
    const before = await contents()
    const interrupted = await atTerminal(['apply'], dir, env, '\x03')
    expect(interrupted.out).toContain('Apply cancelled; nothing changed.')
    expect(interrupted.out).not.toMatch(/AbortError|ABORT_ERR/)
    expect(interrupted.exitCode).toBe(130)
    const declined = await atTerminal(['apply'], dir, env, 'no\r')
    expect(declined.out).toContain('Apply cancelled; nothing changed.')
    expect(declined.exitCode).toBe(1)
    expect(await contents()).toEqual(before)
    expect(Object.keys(JSON.parse((await queryState<{keys: string}>(dir, 'select keys from secrets'))[0]?.keys ?? '{}'))).toEqual(['A'])
  })
})

describe('a saved plan', () => {
  it('prints the command that applies it with the same -d and --env, and that command works from another directory', async () => {
    const dir = tempProject({'s.yaml': envSecret('app', {A: 'APP_A'})})
    // In the Postgres run, tempProject's secretctl.yaml names a database: keep it.
    const shared = existsSync(path.join(dir, 'secretctl.yaml')) ? readFileSync(path.join(dir, 'secretctl.yaml'), 'utf8') : ''
    writeFiles(dir, {'secretctl.yaml': `${shared}defaultEnvironment: dev\nenvironments: {dev: {}, prod: {}}\n`})
    const env = {APP_A: canary('saved')}
    expect((await secretctl(['apply', '--auto-approve', '--env', 'prod', '-d', dir], {cwd: tmpdir(), env})).exitCode).toBe(0)
    writeFiles(dir, {'s.yaml': envSecret('app', {A: 'APP_A', B: 'APP_B'})})
    const e = {...env, APP_B: canary('saved-b')}
    const planFile = path.join(mkdtempSync(path.join(tmpdir(), 'secretctl-plans-')), 'p.json')
    const plan = await secretctl(['plan', '--out', planFile, '-d', dir, '--env', 'prod'], {cwd: tmpdir(), env: e})
    expect(plan.exitCode, plan.stderr).toBe(0)
    const printed = /apply it exactly with:\n {2}(.+)$/m.exec(plan.stdout)?.[1] ?? ''
    expect(printed, plan.stdout).toBe(`secretctl apply ${planFile} -d ${dir} --env prod`)
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'secretctl-elsewhere-'))
    const applied = await secretctl(printed.split(' ').slice(1), {cwd: elsewhere, env: e})
    expect(applied.exitCode, applied.stderr).toBe(0)
    expect(existsSync(path.join(elsewhere, '.secretctl'))).toBe(false)
  })
})

describe('editors and wizards', () => {
  it('$schema is accepted in manifests and secretctl.yaml; init writes a yaml-language-server line to a schema that exists', async () => {
    const dir = tempProject({'s.yaml': `$schema: ../schemas/secret.schema.json\n${envSecret('app', {A: 'APP_A'})}`})
    const r = await secretctl(['validate'], {cwd: dir, env: {APP_A: 'x'}})
    expect(r.exitCode, r.stderr).toBe(0)
    const init = mkdtempSync(path.join(tmpdir(), 'secretctl-init-'))
    expect((await secretctl(['init', 'p'], {cwd: init})).exitCode).toBe(0)
    const line = readFileSync(path.join(init, 'p/secrets.yaml'), 'utf8').split('\n')[0] ?? ''
    const schema = /^# yaml-language-server: \$schema=(.+)$/.exec(line)?.[1]
    expect(schema).toBeDefined()
    expect(JSON.parse(readFileSync(path.resolve(init, 'p', schema as string), 'utf8')).title).toBe('secretctl Secret')
  })

  it('bootstrap with a --url nothing answers names the flag, and writes nothing', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const {port: p} = srv.address() as {port: number}
        srv.close(() => resolve(p))
      })
    })
    const dir = tempProject({})
    const r = await secretctl(['bootstrap', 'openbao', 'bao', '--url', `http://127.0.0.1:${port}`, '--admin-token-stdin'], {
      cwd: dir,
      input: 'root',
    })
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toContain(`cannot reach OpenBao at http://127.0.0.1:${port}`)
    expect(r.stderr).toContain('check --url')
    expect(r.stderr).not.toContain('backend manifest')
    expect(existsSync(path.join(dir, 'backend-bao.yaml'))).toBe(false)
  })
})
