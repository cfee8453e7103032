import {readFileSync} from 'node:fs'
import path from 'node:path'
import {parse} from 'dotenv'
import {encrypt, PrivateKey} from 'eciesjs'
import {describe, expect, it} from 'vitest'
import {decryptDotenvx, dotenvxKeyNames, readDotenvxFile} from '../../../src/formats/dotenvx.js'
import {runDotenvx as dotenvx, expectNoSecrets, rejection, tempDir, writeIn} from './format-fixtures.js'

const PLAIN = {
  DB_PASSWORD: 'CANARY-dx-pw p@ss=w0rd',
  API_TOKEN: 'CANARY-dx-tok-ümlaut',
  MULTI: 'CANARY-line1\nline2',
}
const plainFile = () =>
  `# app settings\nDB_PASSWORD="${PLAIN.DB_PASSWORD}"\nAPI_TOKEN="${PLAIN.API_TOKEN}"\nMULTI="CANARY-line1\\nline2"\nLOG_LEVEL_PLAIN=debug\n`
const CANARIES = Object.values(PLAIN)

/** A directory with `name` encrypted by the real dotenvx, and the keys it wrote to .env.keys. */
function encryptedByDotenvx(name: string, content = plainFile()): {dir: string; file: string; keys: Record<string, string>} {
  const dir = tempDir('secretctl-dotenvx-')
  const file = writeIn(dir, name, content)
  dotenvx(dir, ['encrypt', '-f', name])
  return {dir, file, keys: parse(readFileSync(path.join(dir, '.env.keys'), 'utf8'))}
}

describe('dotenvx files encrypted by the real @dotenvx/dotenvx CLI', () => {
  it('.env.production: decrypts with DOTENV_PRIVATE_KEY_PRODUCTION from the environment; the public key line is not a value', async () => {
    const {file, keys} = encryptedByDotenvx('.env.production')
    const text = readFileSync(file, 'utf8')
    for (const v of CANARIES) expect(text).not.toContain(v.split('\n')[0])
    expect(Object.keys(keys)).toEqual(['DOTENV_PRIVATE_KEY_PRODUCTION'])
    const r = await readDotenvxFile(file, {env: {DOTENV_PRIVATE_KEY_PRODUCTION: keys.DOTENV_PRIVATE_KEY_PRODUCTION}, envKeysFile: false})
    expect(r.values).toEqual({...PLAIN, LOG_LEVEL_PLAIN: 'debug'})
    expect(r.encryptedKeys).toEqual(['DB_PASSWORD', 'API_TOKEN', 'MULTI'])
    expect(r.publicKey).toMatch(/^0[23][0-9a-f]{64}$/)
    expect(r.keySource).toBe('DOTENV_PRIVATE_KEY_PRODUCTION')
  })

  it('reads .env.keys beside the file when the variable is not set (as dotenvx does), and not when told not to', async () => {
    const {dir, file} = encryptedByDotenvx('.env.production')
    const r = await readDotenvxFile(file, {env: {}})
    expect(r.values.DB_PASSWORD).toBe(PLAIN.DB_PASSWORD)
    expect(r.keySource).toBe(`${path.join(dir, '.env.keys')} DOTENV_PRIVATE_KEY_PRODUCTION`)
    const err = await rejection(readDotenvxFile(file, {env: {}, envKeysFile: false, displayPath: 'envs/.env.production'}))
    expect(err).toMatchObject({problem: 'no-key', file: 'envs/.env.production', key: 'DB_PASSWORD', line: 9})
    expect(err.message).toBe(
      'envs/.env.production:9: DB_PASSWORD: no dotenvx private key found; looked in DOTENV_PRIVATE_KEY_PRODUCTION (not set)',
    )
    expectNoSecrets(err, CANARIES)
  })

  it('.env.production.local uses DOTENV_PRIVATE_KEY_PRODUCTION_LOCAL, as dotenvx names it', async () => {
    const {file, keys} = encryptedByDotenvx('.env.production.local')
    expect(Object.keys(keys)).toEqual(['DOTENV_PRIVATE_KEY_PRODUCTION_LOCAL'])
    expect(dotenvxKeyNames(file, {}).privateKeyName).toBe('DOTENV_PRIVATE_KEY_PRODUCTION_LOCAL')
    const r = await readDotenvxFile(file, {
      env: {DOTENV_PRIVATE_KEY_PRODUCTION_LOCAL: keys.DOTENV_PRIVATE_KEY_PRODUCTION_LOCAL},
      envKeysFile: false,
    })
    expect(r.values.API_TOKEN).toBe(PLAIN.API_TOKEN)
  })

  it('a comma-separated list is tried in turn; a wrong key alone is a wrong-key error naming file, line and key, never a value', async () => {
    const {file, keys} = encryptedByDotenvx('.env.staging')
    const right = keys.DOTENV_PRIVATE_KEY_STAGING
    const wrong = new PrivateKey().toHex()
    const r = await readDotenvxFile(file, {env: {DOTENV_PRIVATE_KEY_STAGING: `${wrong}, ${right}`}, envKeysFile: false})
    expect(r.values.MULTI).toBe(PLAIN.MULTI)
    const err = await rejection(readDotenvxFile(file, {env: {DOTENV_PRIVATE_KEY_STAGING: wrong}}))
    expect(err).toMatchObject({problem: 'wrong-key', key: 'DB_PASSWORD', line: 9, keyUnavailable: true})
    expect(err.message).toContain(
      'none of the 1 private key(s) from DOTENV_PRIVATE_KEY_STAGING opens the value, which is encrypted to public key 0',
    )
    expectNoSecrets(err, [...CANARIES, wrong, right])
  })

  it('two environments side by side, each with its own key, from one environment', async () => {
    const dir = tempDir('secretctl-dotenvx-')
    writeIn(dir, '.env.staging', 'A="CANARY-staging"\n')
    writeIn(dir, '.env.production', 'A="CANARY-production"\n')
    dotenvx(dir, ['encrypt', '-f', '.env.staging'])
    dotenvx(dir, ['encrypt', '-f', '.env.production'])
    const keys = parse(readFileSync(path.join(dir, '.env.keys'), 'utf8'))
    const env = {
      DOTENV_PRIVATE_KEY_STAGING: keys.DOTENV_PRIVATE_KEY_STAGING,
      DOTENV_PRIVATE_KEY_PRODUCTION: keys.DOTENV_PRIVATE_KEY_PRODUCTION,
    }
    expect((await readDotenvxFile(path.join(dir, '.env.staging'), {env, envKeysFile: false})).values.A).toBe('CANARY-staging')
    expect((await readDotenvxFile(path.join(dir, '.env.production'), {env, envKeysFile: false})).values.A).toBe('CANARY-production')
    // A key held under another name still opens the file whose public key it matches (dotenvx's keyring).
    const renamed = {DOTENV_PRIVATE_KEY_CI: keys.DOTENV_PRIVATE_KEY_PRODUCTION}
    expect((await readDotenvxFile(path.join(dir, '.env.production'), {env: renamed, envKeysFile: false})).values.A).toBe(
      'CANARY-production',
    )
  })
})

describe('dotenvx without the CLI', () => {
  it('names keys as dotenvx does', () => {
    expect(dotenvxKeyNames('/x/.env', {})).toEqual({publicKeyName: 'DOTENV_PUBLIC_KEY', privateKeyName: 'DOTENV_PRIVATE_KEY'})
    expect(dotenvxKeyNames('/x/.env.production', {}).privateKeyName).toBe('DOTENV_PRIVATE_KEY_PRODUCTION')
    expect(dotenvxKeyNames('/x/.env.ci.eu.extra', {}).privateKeyName).toBe('DOTENV_PRIVATE_KEY_CI_EU')
    expect(dotenvxKeyNames('/x/.env.production.txt', {}).privateKeyName).toBe('DOTENV_PRIVATE_KEY_PRODUCTION')
    // The file's own public-key line wins over its name.
    expect(dotenvxKeyNames('/x/prod.env', {DOTENV_PUBLIC_KEY_PROD: '02ab'}).privateKeyName).toBe('DOTENV_PRIVATE_KEY_PROD')
  })

  it('a file without a public-key line: the key name comes from the file name', async () => {
    const sk = new PrivateKey()
    const value = `encrypted:${Buffer.from(encrypt(sk.publicKey.toHex(), Buffer.from('CANARY-nopub'))).toString('base64')}`
    const dir = tempDir()
    const file = writeIn(dir, '.env.qa', `SECRET=${value}\nPLAIN=x\n`)
    const r = await decryptDotenvx(file, readFileSync(file, 'utf8'), {env: {DOTENV_PRIVATE_KEY_QA: sk.toHex()}})
    expect(r.values).toEqual({SECRET: 'CANARY-nopub', PLAIN: 'x'})
    expect(r.publicKey).toBeUndefined()
  })

  it('malformed ciphertext and a malformed private key are errors naming the line and key', async () => {
    const dir = tempDir()
    const file = writeIn(dir, '.env.qa', 'OK=plain\nBROKEN=encrypted:!!!not-base64\n')
    const bad = await rejection(readDotenvxFile(file, {env: {DOTENV_PRIVATE_KEY_QA: new PrivateKey().toHex()}}))
    expect(bad).toMatchObject({problem: 'malformed', key: 'BROKEN', line: 2})
    const sk = new PrivateKey()
    const file2 = writeIn(
      dir,
      '.env.dev',
      `S=encrypted:${Buffer.from(encrypt(sk.publicKey.toHex(), Buffer.from('CANARY-k'))).toString('base64')}\n`,
    )
    const badKey = await rejection(readDotenvxFile(file2, {env: {DOTENV_PRIVATE_KEY_DEV: 'not-hex-CANARY-key'}}))
    expect(badKey).toMatchObject({problem: 'malformed', key: 'S', line: 1})
    expect(badKey.message).toContain('is not 64 hex digits')
    expectNoSecrets(badKey, ['CANARY-k', 'not-hex-CANARY-key'])
  })

  it('a file with nothing encrypted needs no key', async () => {
    const dir = tempDir()
    const file = writeIn(dir, '.env.production', 'A=1\nB="two"\n')
    expect(await readDotenvxFile(file, {env: {}})).toEqual({values: {A: '1', B: 'two'}, encryptedKeys: [], publicKey: undefined})
  })
})
