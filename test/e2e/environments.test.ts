/**
 * One manifest set for local, staging and production (issue 13): local on the plaintext default,
 * staging and production on OpenBao under a prefix chosen by ${vars.prefix}; each environment its
 * own state; the .env.example contract; diff; a saved plan refused for another environment.
 */
import {createHash} from 'node:crypto'
import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync, rmSync} from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {canary, E2E_STATE, postgresUrlOf, secretctl, tempProject, writeFiles} from './support/cli.js'
import {describeTarget, startBao, type BaoTarget} from './support/bao.js'

let bao: BaoTarget
beforeAll(async () => {
  bao = await startBao()
})
afterAll(async () => bao?.close())

function project(): {dir: string; env: Record<string, string>} {
  const dir = tempProject()
  // In the Postgres run, tempProject's secretctl.yaml names a database: every environment gets a schema in it.
  const shared = existsSync(path.join(dir, 'secretctl.yaml')) ? readFileSync(path.join(dir, 'secretctl.yaml'), 'utf8') : ''
  writeFiles(dir, {
    'secretctl.yaml': `${shared}defaultEnvironment: local
environments:
  local: {vars: {backend: default}}
  staging: {vars: {backend: bao, prefix: ${bao.prefix}/stg}}
  production: {vars: {backend: bao, prefix: ${bao.prefix}/prd}}
`,
    'backends.yaml': `kind: SecretBackend
name: bao
type: openbao
environments: [staging, production]
config:
  url: ${bao.url}
  tokenSecretRef: {name: bao-creds, key: token}
  pathPrefix: \${vars.prefix}
---
kind: Secret
name: bao-creds
environments: [staging, production]
backend: default
data: {token: {fromEnv: BAO_TOKEN}}
`,
    'secrets.yaml': 'kind: Secret\nname: app\nbackend: ${vars.backend}\nenvFile: .env.${env}\n',
    '.env.example': 'API_KEY=\nDB_URL=\n',
    '.env.local': `API_KEY=${canary('local-key')}\nDB_URL=${canary('local-db')}\n`,
    '.env.staging': `API_KEY=${canary('staging-key')}\nDB_URL=${canary('staging-db')}\nEXTRA=${canary('staging-extra')}\n`,
    '.env.production': `API_KEY=${canary('production-key')}\n`,
  })
  return {dir, env: {BAO_TOKEN: bao.rootToken}}
}

describe(`environments (state: ${E2E_STATE}; OpenBao: ${describeTarget()})`, () => {
  it('validate --env names the key an env file lacks; each environment applies to its own state and backends', async () => {
    const {dir, env} = project()
    const bad = await secretctl(['validate', '--env', 'production'], {cwd: dir, env})
    expect(bad.exitCode).toBe(1)
    expect(bad.stderr).toContain(
      'secrets.yaml:4:10: envFile: .env.production has no DB_URL, which .env.example requires (environment production)',
    )
    const stg = await secretctl(['validate', '--env', 'staging'], {cwd: dir, env})
    expect(stg.exitCode, stg.stderr).toBe(0)
    expect(stg.stdout).toContain('Warning: .env.staging: EXTRA is not in .env.example')

    writeFiles(dir, {'.env.production': `API_KEY=${canary('production-key')}\nDB_URL=${canary('production-db')}\n`})
    for (const e of ['local', 'staging', 'production']) {
      const r = await secretctl(['apply', '--auto-approve', '--env', e], {cwd: dir, env})
      expect(r.exitCode, `${e}: ${r.stdout}${r.stderr}`).toBe(0)
      expect(r.stdout).toContain(`(environment ${e})`)
    }
    // Each state holds only its own: local has no OpenBao backend, staging and production do.
    const secretsOf = async (e: string) => JSON.parse((await secretctl(['get', 'secrets', '-o', 'json', '--env', e], {cwd: dir})).stdout)
    expect((await secretsOf('local')).map((s: {name: string; backend: string}) => `${s.name}@${s.backend}`)).toEqual(['app@default'])
    expect((await secretsOf('staging')).map((s: {name: string; backend: string}) => `${s.name}@${s.backend}`)).toEqual([
      'app@bao',
      'bao-creds@default',
    ])
    if (E2E_STATE === 'sqlite')
      for (const e of ['local', 'staging', 'production']) expect(existsSync(path.join(dir, `.secretctl/${e}.db`))).toBe(true)
    // ${vars.prefix} put each environment's values under its own prefix on the server.
    expect(await bao.readSecret(`stg/app`)).toMatchObject({API_KEY: expect.any(String), EXTRA: expect.any(String)})
    expect(Object.keys((await bao.readSecret(`prd/app`)) ?? {}).sort()).toEqual(['API_KEY', 'DB_URL'])
    for (const e of ['local', 'staging', 'production']) {
      expect((await secretctl(['plan', '--detailed-exitcode', '--env', e], {cwd: dir, env})).exitCode).toBe(0)
    }

    const list = await secretctl(['env', 'list', '-o', 'json'], {cwd: dir})
    expect(JSON.parse(list.stdout).map((r: {name: string; secrets: number}) => `${r.name}:${r.secrets}`)).toEqual([
      'local:1',
      'staging:2',
      'production:2',
    ])
  })

  it('diff names the key production lacks and the keys whose values differ, never a value; exit 2', async () => {
    const {dir, env} = project()
    writeFiles(dir, {'.env.production': `API_KEY=${canary('production-key')}\nDB_URL=${canary('production-db')}\n`})
    for (const e of ['staging', 'production'])
      expect((await secretctl(['apply', '--auto-approve', '--env', e], {cwd: dir, env})).exitCode).toBe(0)
    const d = await secretctl(['diff', '--env', 'staging', '--env', 'production'], {cwd: dir, env})
    expect(d.exitCode, d.stderr).toBe(2)
    expect(d.stdout).toContain('only in staging: secret app, key EXTRA')
    expect(d.stdout).toContain('differs: secret app, key API_KEY')
    expect(d.stdout).not.toContain('differs: secret bao-creds')
    const same = await secretctl(['diff', '--env', 'staging', '--env', 'staging'], {cwd: dir, env})
    expect(same.exitCode).toBe(1)
    expect(same.stderr).toMatch(/give two different environments/)
  })

  it('a saved production plan is refused on staging; an undeclared environment is refused naming the declared ones; nothing changes', async () => {
    const {dir, env} = project()
    writeFiles(dir, {'.env.production': `API_KEY=${canary('production-key')}\nDB_URL=${canary('production-db')}\n`})
    for (const e of ['staging', 'production'])
      expect((await secretctl(['apply', '--auto-approve', '--env', e], {cwd: dir, env})).exitCode).toBe(0)
    writeFiles(dir, {'.env.production': `API_KEY=${canary('production-key-2')}\nDB_URL=${canary('production-db')}\n`})
    expect((await secretctl(['plan', '--env', 'production', '--out', 'prod.json'], {cwd: dir, env})).exitCode).toBe(0)
    const wrong = await secretctl(['apply', 'prod.json', '--env', 'staging'], {cwd: dir, env})
    expect(wrong.exitCode).toBe(1)
    expect(wrong.stderr).toContain('the saved plan was made for environment production; this run is for environment staging')
    expect((await secretctl(['plan', '--detailed-exitcode', '--env', 'staging'], {cwd: dir, env})).exitCode).toBe(0)
    const right = await secretctl(['apply', 'prod.json', '--env', 'production'], {cwd: dir, env})
    expect(right.exitCode, right.stderr).toBe(0)

    const nope = await secretctl(['plan', '--env', 'prod'], {cwd: dir, env})
    expect(nope.exitCode).toBe(1)
    expect(nope.stderr).toContain('--env prod: no environment named prod')
    expect(nope.stderr).toContain('declared environments: local, staging, production')
    const viaVariable = await secretctl(['plan'], {cwd: dir, env: {...env, SECRETCTL_ENV: 'qa'}})
    expect(viaVariable.stderr).toContain('SECRETCTL_ENV=qa: no environment named qa')
  })

  it('bad input (an undeclared environment, a variable or an env file one environment lacks, a document for an undeclared environment, a plan for another environment): exit 1 naming it, nothing changed anywhere', async () => {
    const {dir, env} = project()
    writeFiles(dir, {'.env.production': `API_KEY=${canary('production-key')}\nDB_URL=${canary('production-db')}\n`})
    for (const e of ['local', 'staging', 'production'])
      expect((await secretctl(['apply', '--auto-approve', '--env', e], {cwd: dir, env})).exitCode).toBe(0)
    writeFiles(dir, {'.env.production': `API_KEY=${canary('production-key-2')}\nDB_URL=${canary('production-db')}\n`})
    expect((await secretctl(['plan', '--env', 'production', '--out', 'prod.json'], {cwd: dir, env})).exitCode).toBe(0)
    const before = await everything(dir)

    const cases: {files?: Record<string, string>; remove?: string; args: string[]; says: RegExp}[] = [
      {args: ['apply', '--auto-approve', '--env', 'qa'], says: /--env qa: no environment named qa/},
      {
        files: {'extra.yaml': 'kind: Secret\nname: extra\nbackend: ${vars.region}\ndata: {A: {fromEnv: BAO_TOKEN}}\n'},
        args: ['apply', '--auto-approve', '--env', 'production'],
        says: /1 problem in the manifests:\n\s+extra\.yaml:3:\d+: backend: \$\{vars\.region\} is not defined in environment production/,
      },
      {
        files: {'extra.yaml': 'kind: Secret\nname: extra\nenvironments: [qa]\ndata: {A: {fromEnv: BAO_TOKEN}}\n'},
        args: ['apply', '--auto-approve', '--env', 'staging'],
        says: /extra\.yaml:3:\d+: environments: no environment named qa \(declared environments: local, staging, production\)/,
      },
      {
        remove: '.env.production',
        args: ['apply', '--auto-approve', '--env', 'production'],
        says: /secrets\.yaml:4:\d+: envFile: secret app: envFile \.env\.production does not exist/,
      },
      {
        args: ['apply', 'prod.json', '--env', 'staging'],
        says: /the saved plan was made for environment production; this run is for environment staging/,
      },
    ]
    for (const c of cases) {
      const saved = c.remove ? readFileSync(path.join(dir, c.remove), 'utf8') : undefined
      if (c.files) writeFiles(dir, c.files)
      if (c.remove) rmSync(path.join(dir, c.remove))
      const r = await secretctl(c.args, {cwd: dir, env})
      expect(r.exitCode, `${c.args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(1)
      expect(r.stderr, c.args.join(' ')).toMatch(c.says)
      for (const f of Object.keys(c.files ?? {})) rmSync(path.join(dir, f))
      if (c.remove) writeFiles(dir, {[c.remove]: saved as string})
      expect(await everything(dir), `after ${c.args.join(' ')}`).toEqual(before)
    }
  })
})

/** Every environment's state (each SQLite file, or each Postgres schema's rows) and the versions OpenBao holds. */
async function everything(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const pg = postgresUrlOf(dir)
  for (const e of ['local', 'staging', 'production']) {
    if (pg) {
      const tables = ['state_meta', 'backends', 'secrets', 'retained_copies', 'locks', 'audit']
      const query = tables
        .map((t) => `select '${t}', coalesce(json_agg(x order by x::text), '[]') from secretctl_${e}.${t} x`)
        .join(' union all ')
      out[e] = execFileSync('psql', [pg, '-qAtXc', query], {encoding: 'utf8'})
    } else {
      const file = path.join(dir, `.secretctl/${e}.db`)
      out[e] = existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : 'none'
    }
  }
  for (const e of ['stg', 'prd']) {
    const meta = await bao.api('GET', `secret/metadata/${bao.prefix}/${e}/app`)
    out[`openbao ${e}`] = JSON.stringify([meta.status, meta.body?.data?.current_version, meta.body?.data?.updated_time])
  }
  return out
}
