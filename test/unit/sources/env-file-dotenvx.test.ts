import {createHash} from 'node:crypto'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {parse} from 'dotenv'
import {describe, expect, it} from 'vitest'
import {loadManifests} from '../../../src/manifests/load-manifests.js'
import {runDotenvx} from '../formats/format-fixtures.js'
import {expectClean, resolveProblems, resolveSecret, tree} from './source-fixtures.js'

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')
const PASSWORD = 'CANARY-dx-src-pw p@ss=w0rd'
const TOKEN = 'CANARY-dx-src-tok'

/** A manifests tree with env/.env.production encrypted by the real dotenvx CLI, its private key, and the manifests given. */
function encryptedTree(manifests: Record<string, string>) {
  const dir = tree({'env/.env.production': `DB_PASSWORD="${PASSWORD}"\nAPI_TOKEN=${TOKEN}\nLOG_LEVEL=debug\n`, ...manifests})
  runDotenvx(path.join(dir, 'env'), ['encrypt', '-f', '.env.production', '--exclude-key', 'LOG_LEVEL'])
  const keys = parse(readFileSync(path.join(dir, 'env/.env.keys'), 'utf8'))
  // CI has no .env.keys: the key comes from the environment.
  rmSync(path.join(dir, 'env/.env.keys'))
  const text = readFileSync(path.join(dir, 'env/.env.production'), 'utf8')
  return {dir, key: keys.DOTENV_PRIVATE_KEY_PRODUCTION as string, ciphertext: (k: string) => parse(text)[k] as string}
}

describe('envFile with dotenvx-encrypted values (files made by the real @dotenvx/dotenvx CLI)', () => {
  it('decrypts encrypted values with DOTENV_PRIVATE_KEY_PRODUCTION, passes plain ones through; the public key line is not a key', async () => {
    const {dir, key, ciphertext} = encryptedTree({'app.yaml': 'kind: Secret\nname: app\nenvFile: env/.env.production\n'})
    expect(Object.keys((await loadManifests(dir)).secrets[0]?.data ?? {})).toEqual(['DB_PASSWORD', 'API_TOKEN', 'LOG_LEVEL'])
    const values = await resolveSecret(dir, 'app', {env: {DOTENV_PRIVATE_KEY_PRODUCTION: key}})
    expect(values).toEqual({
      DB_PASSWORD: {source: 'envFile', value: PASSWORD, cipherDigest: sha256(ciphertext('DB_PASSWORD'))},
      API_TOKEN: {source: 'envFile', value: TOKEN, cipherDigest: sha256(ciphertext('API_TOKEN'))},
      LOG_LEVEL: {source: 'envFile', value: 'debug'},
    })
    expect(ciphertext('DB_PASSWORD')).toMatch(/^encrypted:/)
  })

  it('no key: one problem at the envFile field naming the file and variable; allowUndecryptable: encrypted keys unknown, plain ones read', async () => {
    const {dir, ciphertext} = encryptedTree({'app.yaml': 'kind: Secret\nname: app\nenvFile: env/.env.production\n'})
    const problems = await resolveProblems(dir)
    expect(problems).toEqual([expect.objectContaining({file: 'app.yaml', line: 3, field: 'envFile'})])
    expect(problems[0]?.message).toMatch(
      /^secret app: cannot decrypt env\/\.env\.production:\d+: DB_PASSWORD: no dotenvx private key found; looked in DOTENV_PRIVATE_KEY_PRODUCTION \(not set\)/,
    )
    const values = await resolveSecret(dir, 'app', {allowUndecryptable: true})
    expect(values.LOG_LEVEL).toEqual({source: 'envFile', value: 'debug'})
    expect(values.API_TOKEN).toMatchObject({unknown: {cipherDigest: sha256(ciphertext('API_TOKEN')), file: 'env/.env.production'}})
    expect(values.DB_PASSWORD?.unknown?.declared).toEqual({at: 'app.yaml:3:10', field: 'envFile'})
  })

  it('a wrong key is named by where it came from; no message carries a value or a key', async () => {
    const other = encryptedTree({})
    const {dir} = encryptedTree({'app.yaml': 'kind: Secret\nname: app\nenvFile: env/.env.production\n'})
    const problems = await resolveProblems(dir, {env: {DOTENV_PRIVATE_KEY_PRODUCTION: other.key}})
    expect(problems[0]?.message).toContain('none of the 1 private key(s) from DOTENV_PRIVATE_KEY_PRODUCTION opens the value')
    expectClean(problems, [PASSWORD, TOKEN, other.key])
  })

  it('a damaged encrypted value is an error even with allowUndecryptable', async () => {
    const {dir, key} = encryptedTree({'app.yaml': 'kind: Secret\nname: app\nenvFile: env/.env.production\n'})
    const file = path.join(dir, 'env/.env.production')
    writeFileSync(file, readFileSync(file, 'utf8').replace('API_TOKEN=encrypted:', 'API_TOKEN=encrypted:*'))
    const problems = await resolveProblems(dir, {env: {DOTENV_PRIVATE_KEY_PRODUCTION: key}, allowUndecryptable: true})
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/^secret app: env\/\.env\.production:\d+: API_TOKEN: is not a valid dotenvx encrypted value/),
    ])
  })
})

describe('fromEnvFile', () => {
  it('takes one variable of a dotenv file under a key name of its own, plain or dotenvx-encrypted', async () => {
    const {dir, key} = encryptedTree({
      'app.yaml': [
        'kind: Secret',
        'name: app',
        'data:',
        '  password: {fromEnvFile: {file: env/.env.production, key: DB_PASSWORD}}',
        '  level: {fromEnvFile: {file: env/.env.production, key: LOG_LEVEL}}',
        '',
      ].join('\n'),
    })
    const values = await resolveSecret(dir, 'app', {env: {DOTENV_PRIVATE_KEY_PRODUCTION: key}})
    expect(values.password).toMatchObject({source: 'envFileKey', value: PASSWORD})
    expect(values.level).toEqual({source: 'envFileKey', value: 'debug'})
  })

  it('a variable the file does not have, and a file that is not there, are errors at the field', async () => {
    const dir = tree({
      'plain.env': 'A=1\n',
      'app.yaml':
        'kind: Secret\nname: app\ndata:\n  x: {fromEnvFile: {file: plain.env, key: B}}\n  y: {fromEnvFile: {file: nope.env, key: A}}\n',
    })
    expect((await resolveProblems(dir)).map((p) => [p.field, p.message])).toEqual([
      ['data.x.fromEnvFile', 'secret app, key x: fromEnvFile plain.env has no variable B'],
      ['data.y.fromEnvFile', 'secret app, key y: fromEnvFile nope.env does not exist'],
    ])
  })
})
