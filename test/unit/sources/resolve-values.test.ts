import {chmodSync, mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {ManifestErrors} from '../../../src/errors.js'
import {loadManifests} from '../../../src/manifests/load-manifests.js'
import {resolveValues} from '../../../src/sources/resolve-values.js'

const VALID = fileURLToPath(new URL('../../fixtures/manifests/valid', import.meta.url))
const ENV = {BAO_TOKEN: 's.bao-token-value', GITHUB_TOKEN: 'ghp_value'}

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'secretctl-sources-'))
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), {recursive: true})
    writeFileSync(path.join(dir, file), content)
  }
  return dir
}

async function resolveErrors(dir: string, env: NodeJS.ProcessEnv): Promise<ManifestErrors> {
  const error = await resolveValues(await loadManifests(dir), {env}).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(ManifestErrors)
  return error as ManifestErrors
}

describe('resolveValues', () => {
  it('resolves env, file (relative to the manifest file, as is), envFile, and describes generate', async () => {
    const values = await resolveValues(await loadManifests(VALID), {env: ENV})
    expect([...values.keys()]).toEqual(['bao-creds', 'github', 'app']) // legacy is placement-only: no entry
    expect(values.get('bao-creds')!.get('token')).toEqual({source: 'env', value: 's.bao-token-value'})
    const github = values.get('github')!
    expect(github.get('GITHUB_TOKEN')).toEqual({source: 'env', value: 'ghp_value'})
    expect(github.get('CA_BUNDLE')).toEqual({source: 'file', value: '  -----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n\n'})
    expect(github.get('WEBHOOK_SECRET')).toEqual({source: 'generate', spec: {length: 48, charset: 'alphanumeric', rotateEvery: '30d'}})
    expect(github.get('WEBHOOK_SECRET')!.value).toBeUndefined()
    expect(Object.fromEntries(values.get('app')!)).toEqual({
      DB_URL: {source: 'envFile', value: 'postgres://app@db/app'},
      API_KEY: {source: 'envFile', value: 'k y'},
    })
  })

  it('accepts an empty environment variable as a value', async () => {
    const values = await resolveValues(await loadManifests(VALID), {env: {...ENV, GITHUB_TOKEN: ''}})
    expect(values.get('github')!.get('GITHUB_TOKEN')).toEqual({source: 'env', value: ''})
  })

  it('resolves only the secrets asked for', async () => {
    const values = await resolveValues(await loadManifests(VALID), {env: {BAO_TOKEN: 't'}, secrets: ['bao-creds']})
    expect([...values.keys()]).toEqual(['bao-creds'])
  })

  it('reports a missing environment variable naming the secret and key, at the fromEnv field', async () => {
    const error = await resolveErrors(VALID, {GITHUB_TOKEN: 'x'})
    expect(error.problems).toEqual([
      {
        file: 'nested/deeper/secrets.yml',
        line: 5,
        column: 21,
        field: 'data.token.fromEnv',
        message: 'secret bao-creds, key token: environment variable BAO_TOKEN is not set',
        hint: 'export BAO_TOKEN before running secretctl',
      },
    ])
  })

  it('collects every unreadable source of the run together', async () => {
    const dir = tree({
      'app/s.yaml': [
        'kind: Secret',
        'name: github',
        'data:',
        '  GITHUB_TOKEN: {fromEnv: GITHUB_TOKEN}',
        '  CA: {fromFile: certs/missing.pem}',
        '  DIR: {fromFile: ..}',
        '---',
        'kind: Secret',
        'name: app',
        'envFile: ../nope.env',
        '',
      ].join('\n'),
    })
    const error = await resolveErrors(dir, {})
    expect(error.problems.map((p) => [p.line, p.column, p.field, p.message])).toEqual([
      [4, 27, 'data.GITHUB_TOKEN.fromEnv', 'secret github, key GITHUB_TOKEN: environment variable GITHUB_TOKEN is not set'],
      [5, 18, 'data.CA.fromFile', 'secret github, key CA: file certs/missing.pem does not exist'],
      [6, 19, 'data.DIR.fromFile', 'secret github, key DIR: file .. is a directory'],
      [10, 10, 'envFile', 'secret app: envFile nope.env does not exist'],
    ])
    expect(error.problems.every((p) => p.file === 'app/s.yaml')).toBe(true)
  })

  // root reads any file whatever its mode, so this cannot run as root in-process; the end-to-end
  // suite runs the CLI on an unreadable file as root without the overriding capabilities (bad-input.test.ts).
  it.skipIf(process.getuid?.() === 0)('reports an unreadable file without its content', async () => {
    const dir = tree({'s.yaml': 'kind: Secret\nname: x\ndata:\n  K: {fromFile: k.txt}\n', 'k.txt': 'top-secret-content'})
    chmodSync(path.join(dir, 'k.txt'), 0o000)
    const error = await resolveErrors(dir, {})
    expect(error.problems[0]!.message).toBe('secret x, key K: file k.txt cannot be read (permission denied)')
    expect(error.message).not.toContain('top-secret-content')
  })

  it('never puts a value into an error', async () => {
    const dir = tree({'s.yaml': 'kind: Secret\nname: x\ndata:\n  A: {fromEnv: A}\n  B: {fromEnv: B}\n'})
    const error = await resolveErrors(dir, {A: 'value-of-a-123'})
    expect(error.problems).toHaveLength(1)
    expect(error.message).not.toContain('value-of-a-123')
  })
})
