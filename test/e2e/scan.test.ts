/**
 * `secretctl scan` end to end, with the built CLI in git repositories the tests make: a value
 * planted in a file (JSON, and one line of a multi-line key pasted into YAML) is found at its
 * file:line with its secret and key; a value committed and later removed is found only with
 * --git, in its commit, and not with --since past that commit; a 10,000-file tree holding other
 * texts of the same lengths gives no finding (exit 0); a token pasted in a manifest's description
 * and a tracked .env file in clear are reported, a template and a dotenvx-encrypted file are not.
 * Canary values are searched for in every output (support/cli.ts).
 */
import {randomBytes} from 'node:crypto'
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {execa} from 'execa'
import {describe, expect, it} from 'vitest'
import {canary, plant, secretctl, tempProject, writeFiles} from './support/cli.js'

async function git(dir: string, ...args: string[]): Promise<string> {
  const r = await execa('git', args, {
    cwd: dir,
    env: {GIT_AUTHOR_NAME: 'e2e', GIT_AUTHOR_EMAIL: 'e2e@example.com', GIT_COMMITTER_NAME: 'e2e', GIT_COMMITTER_EMAIL: 'e2e@example.com'},
  })
  return r.stdout.trim()
}

async function commit(dir: string, message: string): Promise<string> {
  await git(dir, 'add', '-A')
  await git(dir, 'commit', '-q', '-m', message)
  return git(dir, 'rev-parse', 'HEAD')
}

interface Json {
  found: boolean
  findings: Array<{
    kind: string
    file: string
    line?: number
    commit?: string
    secret?: string
    key?: string
    valueLine?: number
    rule?: string
    keys?: string[]
  }>
  stats: {files: number; commits: number; threads: number}
  notes: string[]
}

async function scanJson(dir: string, args: string[] = []): Promise<{exitCode: number; json: Json}> {
  const r = await secretctl(['scan', ...args, '-o', 'json'], {cwd: dir})
  expect([0, 1], r.stderr).toContain(r.exitCode)
  return {exitCode: r.exitCode, json: JSON.parse(r.stdout)}
}

const where = (j: Json) =>
  j.findings
    .filter((f) => f.kind === 'value')
    .map(
      (f) => `${f.commit ? `${f.commit.slice(0, 7)} ` : ''}${f.file}:${f.line} ${f.secret}/${f.key}${f.valueLine ? `#${f.valueLine}` : ''}`,
    )

function pem(lines: string[]): string {
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`
}

describe('secretctl scan', () => {
  it('finds a planted value in files and, with --git, in a past commit; never prints a value', async () => {
    const token = canary('scan-token')
    const keyLines = [plant(randomBytes(48).toString('base64')), plant(randomBytes(48).toString('base64'))]
    const dir = tempProject({
      '.gitignore': '.secretctl/\nkey.pem\n',
      'key.pem': pem(keyLines),
      'secrets.yaml': 'kind: Secret\nname: app\ndata:\n  TOKEN: {fromEnv: T}\n  KEY: {fromFile: key.pem}\n  MODE: {fromEnv: MODE}\n',
    })
    const env = {T: token, MODE: 'production'}
    const applied = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
    expect(applied.exitCode, applied.stderr).toBe(0)
    await git(dir, 'init', '-q', '-b', 'main')
    writeFiles(dir, {'src/old.ts': `export const client = connect("${token}")\n`})
    const first = await commit(dir, 'a token in code')
    rmSync(path.join(dir, 'src/old.ts'))
    writeFiles(dir, {
      'config/settings.json': `{\n  "name": "app",\n  "token": "${token}",\n  "debug": false\n}\n`,
      'deploy/values.yaml': `tls:\n  key: |\n    -----BEGIN PRIVATE KEY-----\n    ${keyLines[1]}\n`,
      'README.md': 'Set MODE=production to run in production.\n',
    })
    await commit(dir, 'config')

    const files = await scanJson(dir)
    expect(files.exitCode).toBe(1)
    expect(where(files.json)).toEqual(['config/settings.json:3 app/TOKEN', 'deploy/values.yaml:4 app/KEY#3'])
    expect(files.json.notes.join('\n')).toContain('1 key holds a value too short or too plain to look for')

    const history = await scanJson(dir, ['--git'])
    expect(where(history.json)).toEqual(
      expect.arrayContaining([`${first.slice(0, 7)} src/old.ts:1 app/TOKEN`, 'config/settings.json:3 app/TOKEN']),
    )
    expect(history.json.stats.commits).toBe(2)
    const since = await scanJson(dir, ['--git', '--since', first])
    expect(where(since.json).some((w) => w.includes('src/old.ts'))).toBe(false)
    expect(since.json.stats.commits).toBe(1)

    const text = await secretctl(['scan', '--git'], {cwd: dir})
    expect(text.exitCode).toBe(1)
    expect(text.stdout).toContain(`! commit ${first.slice(0, 12)} src/old.ts:1: the value of secret app, key TOKEN`)
    expect(text.stdout).toContain('! deploy/values.yaml:4: the value of secret app, key KEY (line 3 of the value)')

    // From a subdirectory, paths are named from there, and the history too.
    const sub = await secretctl(['scan', '--git', '-d', '..', '-o', 'json'], {cwd: path.join(dir, 'config')})
    expect(
      JSON.parse(sub.stdout)
        .findings.filter((f: {kind: string}) => f.kind === 'value')
        .map((f: {file: string}) => f.file),
    ).toEqual(['settings.json', 'settings.json'])

    rmSync(path.join(dir, 'config/settings.json'))
    rmSync(path.join(dir, 'deploy/values.yaml'))
    await commit(dir, 'removed')
    const clean = await scanJson(dir)
    expect(clean.exitCode).toBe(0)
    expect(clean.json.findings).toEqual([])
  })

  it('reports nothing on a 10,000-file tree holding other texts of the same lengths', async () => {
    const values = Object.fromEntries(Array.from({length: 20}, (_, i) => [`V${i}`, canary(`scan-fp-${i}`)]))
    const keys = Object.keys(values)
      .map((v) => `  ${v}: {fromEnv: ${v}}`)
      .join('\n')
    const dir = tempProject({'.gitignore': '.secretctl/\n', 'secrets.yaml': `kind: Secret\nname: many\ndata:\n${keys}\n`})
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env: values})).exitCode).toBe(0)
    // Same shape as the values (CANARY_label_hex), other random parts: the length filter lets them through, the tag and HMAC must not.
    const lookalike = () => `CANARY_scan-fp-${Math.floor(Math.random() * 20)}_${randomBytes(9).toString('hex')}`
    for (let d = 0; d < 100; d++) {
      mkdirSync(path.join(dir, 'src', String(d)), {recursive: true})
      for (let f = 0; f < 100; f++) {
        const lines = Array.from({length: 12}, (_, i) => `  const v${i} = "${lookalike()}" // ${randomBytes(6).toString('base64')} ${i}`)
        writeFileSync(path.join(dir, 'src', String(d), `f${f}.ts`), `${lines.join('\n')}\n`)
      }
    }
    await git(dir, 'init', '-q', '-b', 'main')
    await commit(dir, 'tree')
    const r = await scanJson(dir, ['--git'])
    expect(r.json.findings).toEqual([])
    expect(r.exitCode).toBe(0)
    expect(r.json.stats.files).toBeGreaterThanOrEqual(10_000)
    const text = await secretctl(['scan'], {cwd: dir})
    expect(text.exitCode).toBe(0)
    expect(text.stdout).toMatch(/Scanned 10,00\d files \([\d.]+ MB\) for 20 keys of the state in [\d.]+ s: nothing found\./)
    // And the real values, planted in two files of the big tree, are found.
    writeFileSync(path.join(dir, 'src/37/f51.ts'), `export const a = 1\nexport const key = '${values.V3}'\n`)
    writeFileSync(path.join(dir, 'src/37/f52.ts'), `x\ny\nV7=${values.V7}\n`)
    // The last file of the list is scanned by a worker whenever there is one (kept for it).
    writeFileSync(path.join(dir, 'src/99/f99.ts'), `V9=${values.V9}\n`)
    // An untracked file (listed apart, scanned after the tracked ones).
    mkdirSync(path.join(dir, 'src/untracked'))
    writeFileSync(path.join(dir, 'src/untracked/new.ts'), `// a note\nconst v = "${values.V5}"\n`)
    const planted = await scanJson(dir)
    expect(planted.exitCode).toBe(1)
    expect(where(planted.json)).toEqual([
      'src/37/f51.ts:2 many/V3',
      'src/37/f52.ts:3 many/V7',
      'src/99/f99.ts:1 many/V9',
      'src/untracked/new.ts:2 many/V5',
    ])
    expect(planted.json.stats.files).toBe(r.json.stats.files + 1)
  }, 240_000)

  it('--threads: the files shared by threads give the same findings as one thread', async () => {
    const values = {A: canary('scan-threads-a'), B: canary('scan-threads-b')}
    const files: Record<string, string> = {
      '.gitignore': '.secretctl/\n',
      'secrets.yaml': 'kind: Secret\nname: t\ndata:\n  A: {fromEnv: A}\n  B: {fromEnv: B}\n',
    }
    for (let f = 0; f < 300; f++) files[`src/f${String(f).padStart(3, '0')}.txt`] = `line\n${randomBytes(20).toString('hex')}\n`
    // The first file, one in the middle, and the last two (kept for a worker).
    files['src/f000.txt'] = `A=${values.A}\n`
    files['src/f150.txt'] = `x\n"${values.B}"\n`
    files['src/f298.txt'] = `x\ny\n${values.B}\n`
    files['src/f299.txt'] = `token: ${values.A}\n`
    const dir = tempProject(files)
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env: values})).exitCode).toBe(0)
    const expected = ['src/f000.txt:1 t/A', 'src/f150.txt:2 t/B', 'src/f298.txt:3 t/B', 'src/f299.txt:1 t/A']
    for (const threads of [1, 2, 3]) {
      const r = await scanJson(dir, ['src', '--threads', String(threads)])
      expect(r.exitCode).toBe(1)
      expect(where(r.json)).toEqual(expected)
      expect(r.json.stats).toMatchObject({files: 300, threads})
    }
    const bad = await secretctl(['scan', '--threads', '0'], {cwd: dir})
    expect(bad.exitCode).not.toBe(0)
    expect(bad.stderr).toMatch(/--threads/)
  })

  it('flags a token pasted in a manifest outside data and a tracked .env file in clear, not a template nor a dotenvx-encrypted file', async () => {
    const pasted = plant(`ghp_${randomBytes(18).toString('hex')}`)
    const clear = canary('scan-env')
    const dir = tempProject({
      '.gitignore': '.secretctl/\n',
      'backends.yaml': `kind: SecretBackend\nname: vault\ntype: plaintext\ndescription: "reach it with ${pasted} for now"\n`,
      'app.yaml': 'kind: Secret\nname: app\nbackend: vault\ndata:\n  TOKEN: {fromEnv: T}\n',
      '.env.production': `API_KEY=${clear}\nEMPTY=\n`,
      '.env.example': 'API_KEY=put-your-key-here-1234567\n',
      '.env.staging': 'DOTENV_PUBLIC_KEY_STAGING="02a1b2c3"\nAPI_KEY="encrypted:BDb7t9cBAaFz3Pzmvnq2"\n',
    })
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env: {T: canary('scan-app')}})).exitCode).toBe(0)
    await git(dir, 'init', '-q', '-b', 'main')
    await commit(dir, 'project')
    const r = await scanJson(dir)
    expect(r.exitCode).toBe(1)
    expect(r.json.findings).toEqual([
      {kind: 'env-file', file: '.env.production', keys: ['API_KEY']},
      {kind: 'literal', file: 'backends.yaml', line: 4, rule: 'a GitHub token (ghp_, gho_, ghu_, ghs_, ghr_)'},
    ])
    const text = await secretctl(['scan'], {cwd: dir})
    expect(text.stdout).toContain('! backends.yaml:4: a GitHub token (ghp_, gho_, ghu_, ghs_, ghr_) in a manifest, outside data')
    expect(text.stdout).toContain('! .env.production: a .env file git tracks with values in clear (API_KEY)')
  })

  it('--staged scans the lines staged for the next commit (a pre-commit hook), not the files', async () => {
    const token = canary('scan-staged')
    const dir = tempProject({'.gitignore': '.secretctl/\n', 'secrets.yaml': 'kind: Secret\nname: ci\ndata:\n  TOKEN: {fromEnv: T}\n'})
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env: {T: token}})).exitCode).toBe(0)
    await git(dir, 'init', '-q', '-b', 'main')
    await commit(dir, 'project')
    writeFiles(dir, {
      'unstaged.sh': `TOKEN=${token}\n`,
      'ci/deploy.sh': `#!/bin/sh\necho start\ncurl -H "Authorization: Bearer ${token}" …\n`,
    })
    await git(dir, 'add', 'ci/deploy.sh')
    const r = await scanJson(dir, ['--staged'])
    expect(r.exitCode).toBe(1)
    expect(r.json.findings).toEqual([{kind: 'value', file: 'ci/deploy.sh', line: 3, staged: true, secret: 'ci', key: 'TOKEN'}])
    await git(dir, 'reset', '-q', 'ci/deploy.sh')
    expect((await scanJson(dir, ['--staged'])).exitCode).toBe(0)
  })

  it('without a state, looks for literals only, says so, and exits 0 on a clean tree', async () => {
    const dir = tempProject({'README.md': 'nothing here\n'})
    const r = await secretctl(['scan'], {cwd: dir})
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toContain('Note: no state')
    expect(r.stdout).toContain('nothing found')
    const bad = await secretctl(['scan', 'missing-dir'], {cwd: dir})
    expect(bad.exitCode).toBe(1)
    expect(bad.stderr).toContain('missing-dir does not exist')
    const notGit = await secretctl(['scan', '--git'], {cwd: dir})
    expect(notGit.exitCode).toBe(1)
    expect(notGit.stderr).toContain('not in a git work tree')
  })
})
