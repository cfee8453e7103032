/** `${env}` and `${vars.NAME}` in manifests: where they are replaced, and errors that say where and for which environment. */
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {interpolateText} from '../../../src/environments/interpolate.js'
import {selectEnvironment} from '../../../src/environments/environment.js'
import {loadManifests} from '../../../src/manifests/load-manifests.js'
import {ManifestErrors, UsageError} from '../../../src/errors.js'

const staging = {name: 'staging', vars: {namespace: 'stg', host: 'bao.stg'}}

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'secretctl-env-'))
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), {recursive: true})
    writeFileSync(path.join(dir, file), content)
  }
  return dir
}

const CONFIG = `defaultEnvironment: local
environments:
  local: {}
  staging: {vars: {host: bao.stg, namespace: stg}}
  production: {vars: {host: bao.prod}}
`

describe('interpolateText', () => {
  it('replaces ${env} and ${vars.NAME}, and $${ writes a literal ${', () => {
    expect(interpolateText('http://${vars.host}:8200/${env}', staging)).toEqual({text: 'http://bao.stg:8200/staging'})
    expect(interpolateText('.env.${env}', staging)).toEqual({text: '.env.staging'})
    expect(interpolateText('cost: $${literal}', staging)).toEqual({text: 'cost: ${literal}'})
  })

  it('an undefined variable names the variable and the environment; the process environment is never read', () => {
    expect(interpolateText('${vars.missing}', staging)).toMatchObject({problem: '${vars.missing} is not defined in environment staging'})
    process.env.SECRETCTL_TEST_PLACEHOLDER = 'leaked'
    expect(interpolateText('${SECRETCTL_TEST_PLACEHOLDER}', staging)).toMatchObject({
      problem: expect.stringContaining('unknown placeholder'),
    })
    delete process.env.SECRETCTL_TEST_PLACEHOLDER
  })
})

describe('selectEnvironment', () => {
  const config = {defaultEnvironment: 'local', environments: {local: {}, staging: {vars: {a: 'b'}}}, file: 'secretctl.yaml'}
  it('--env, then SECRETCTL_ENV, then the default; none without environments', () => {
    expect(selectEnvironment(config, {flag: 'staging', variable: 'local'})?.name).toBe('staging')
    expect(selectEnvironment(config, {variable: 'staging'})?.vars).toEqual({a: 'b'})
    expect(selectEnvironment(config, {})?.name).toBe('local')
    expect(selectEnvironment({}, {})).toBeNull()
  })
  it('an undeclared name is an error naming the flag and listing the declared ones', () => {
    expect(() => selectEnvironment(config, {flag: 'prod'})).toThrow(UsageError)
    expect(() => selectEnvironment(config, {flag: 'prod'})).toThrow(/--env prod: no environment named prod/)
    expect(() => selectEnvironment({}, {flag: 'prod'})).toThrow(/declares no environments/)
  })
})

describe('loading manifests for an environment', () => {
  it('interpolates backend config, value-file paths and backend:, and selects documents by environments:', async () => {
    const dir = tree({
      'secretctl.yaml': CONFIG,
      'b.yaml':
        'kind: SecretBackend\nname: bao\ntype: openbao\nenvironments: [staging, production]\nconfig:\n  url: http://${vars.host}:8200\n  tokenSecretRef: {name: creds, key: token}\n  pathPrefix: apps/${env}\n',
      'c.yaml': 'kind: Secret\nname: creds\nenvironments: [staging, production]\ndata: {token: {fromEnv: BAO_TOKEN}}\n',
      's.yaml': 'kind: Secret\nname: app\nenvFile: .env.${env}\n',
      '.env.staging': 'A=1\n',
      '.env.local': 'A=2\n',
    })
    const local = await loadManifests(dir, {flag: 'local'})
    expect(local.backends.map((b) => b.name)).toEqual([])
    expect(local.secrets.map((s) => s.name)).toEqual(['app'])
    expect(local.secrets[0]?.fileSources[0]?.path).toBe(path.join(dir, '.env.local'))
    const stg = await loadManifests(dir, {flag: 'staging'})
    expect(stg.environment).toEqual({name: 'staging', vars: {host: 'bao.stg', namespace: 'stg'}})
    expect(stg.backends[0]?.config).toMatchObject({url: 'http://bao.stg:8200', pathPrefix: 'apps/staging'})
  })

  it('a variable one environment lacks is an error at its file:line:field, naming the environment', async () => {
    const dir = tree({
      'secretctl.yaml': CONFIG,
      'b.yaml':
        'kind: SecretBackend\nname: k\ntype: openbao\nconfig:\n  url: http://x:1\n  tokenSecretRef: {name: creds, key: token}\n  namespace: ${vars.namespace}\n',
      'c.yaml': 'kind: Secret\nname: creds\ndata: {token: {fromEnv: T}}\n',
    })
    await loadManifests(dir, {flag: 'staging'})
    const error = (await loadManifests(dir, {flag: 'production'}).catch((e: unknown) => e)) as ManifestErrors
    expect(error).toBeInstanceOf(ManifestErrors)
    expect(error.problems).toEqual([
      expect.objectContaining({
        file: 'b.yaml',
        line: 7,
        field: 'config.namespace',
        message: '${vars.namespace} is not defined in environment production',
      }),
    ])
  })

  it('a placeholder that fails is reported once: the field left as written is not checked again by the schema', async () => {
    const dir = tree({'secretctl.yaml': CONFIG, 's.yaml': 'kind: Secret\nname: app\nbackend: ${vars.nothere}\ndata: {A: {fromEnv: T}}\n'})
    const error = (await loadManifests(dir, {flag: 'staging'}).catch((e: unknown) => e)) as ManifestErrors
    expect(error.problems).toEqual([
      expect.objectContaining({
        file: 's.yaml',
        line: 3,
        field: 'backend',
        message: '${vars.nothere} is not defined in environment staging',
      }),
    ])
  })

  it('a document restricted to an undeclared environment is an error naming it', async () => {
    const dir = tree({'secretctl.yaml': CONFIG, 's.yaml': 'kind: Secret\nname: app\nenvironments: [prod]\ndata: {A: {fromEnv: A}}\n'})
    const error = (await loadManifests(dir).catch((e: unknown) => e)) as ManifestErrors
    expect(error.problems).toEqual([
      expect.objectContaining({file: 's.yaml', line: 3, field: 'environments', message: 'no environment named prod'}),
    ])
  })

  it('a project without environments is read exactly as written', async () => {
    const dir = tree({'s.yaml': 'kind: Secret\nname: app\ndata: {A: {fromFile: "a-${env}.txt"}}\n', 'a-${env}.txt': 'x'})
    const model = await loadManifests(dir)
    expect(model.environment).toBeNull()
    expect(model.secrets[0]?.data.A).toMatchObject({declaredPath: 'a-${env}.txt'})
  })
})
