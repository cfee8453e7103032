import {cpSync, mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {UsageError} from '../../../src/errors.js'
import {loadManifests} from '../../../src/manifests/load-manifests.js'
import {readProjectConfig} from '../../../src/manifests/project-config.js'
import {writeTree} from './temp-tree.js'

const VALID = fileURLToPath(new URL('../../fixtures/manifests/valid', import.meta.url))

/** A copy of the valid fixture with directories git would not keep (.secretctl, node_modules). */
function validCopy(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'secretctl-valid-'))
  cpSync(VALID, dir, {recursive: true})
  for (const skipped of ['.secretctl', 'node_modules/pkg', 'nested/.cache']) {
    mkdirSync(path.join(dir, skipped), {recursive: true})
    writeFileSync(path.join(dir, skipped, 'broken.yaml'), 'kind: [unclosed\n')
  }
  return dir
}

describe('loadManifests on a valid directory', () => {
  it('reads every yaml/yml recursively, sorted, skipping dot-dirs, node_modules, .secretctl; config apart', async () => {
    const model = await loadManifests(validCopy())
    expect(model.files).toEqual(['backends.yaml', 'nested/deeper/secrets.yml', 'secretctl.yaml'])
    expect(model.backends.map((b) => b.name)).toEqual(['bao', 'local'])
    expect(model.secrets.map((s) => s.name)).toEqual(['bao-creds', 'github', 'app', 'legacy'])
    expect(model.config).toEqual({state: '.secretctl/state.db', file: 'secretctl.yaml'})
  })

  it('folds the vault alias into openbao and applies the openbao defaults', async () => {
    const model = await loadManifests(VALID)
    const bao = model.backends.find((b) => b.name === 'bao')!
    expect(bao.type).toBe('openbao')
    expect(bao.isDefault).toBe(true)
    expect(bao.config).toEqual({
      url: 'http://127.0.0.1:8200',
      tokenSecretRef: {name: 'bao-creds', key: 'token'},
      mount: 'secret',
      pathPrefix: 'secretctl',
    })
    // No rotation here: its token secret has a value source (rotation would own the value).
    expect(bao.rotation).toBeUndefined()
    expect(bao.at).toEqual({file: 'backends.yaml', line: 2, column: 1})
    expect(bao.fields.get('config.url')).toEqual({file: 'backends.yaml', line: 9, column: 8})
    expect(bao.fields.get('config.tokenSecretRef.key')).toEqual({file: 'backends.yaml', line: 10, column: 43})
  })

  it('loads mcpctl flat apply -f documents (lowercase kind) as they are', async () => {
    const model = await loadManifests(VALID)
    const local = model.backends.find((b) => b.name === 'local')!
    expect(local).toMatchObject({
      kind: 'SecretBackend',
      type: 'plaintext',
      description: 'flat mcpctl document',
      isDefault: false,
      config: {},
    })
    expect(local.at).toEqual({file: 'backends.yaml', line: 13, column: 1})
  })

  it('builds value sources: env, file relative to the manifest file, generate defaults, envFile keys', async () => {
    const model = await loadManifests(VALID)
    const github = model.secrets.find((s) => s.name === 'github')!
    expect(github.kind).toBe('Secret') // written `kind: Secret`; bao-creds says `kind: SECRET`
    expect(github.backend).toBeUndefined()
    expect(github.keepSource).toBe(true)
    expect(github.data).toEqual({
      GITHUB_TOKEN: {kind: 'env', variable: 'GITHUB_TOKEN'},
      WEBHOOK_SECRET: {kind: 'generate', spec: {length: 48, charset: 'alphanumeric', rotateEvery: '30d'}},
      SESSION_KEY: {kind: 'generate', spec: {length: 32, charset: 'alphanumeric'}},
      CA_BUNDLE: {kind: 'file', path: path.join(VALID, 'certs/ca.pem'), declaredPath: '../../certs/ca.pem'},
    })
    expect(github.fields.get('data.GITHUB_TOKEN.fromEnv')).toEqual({file: 'nested/deeper/secrets.yml', line: 11, column: 28})

    const app = model.secrets.find((s) => s.name === 'app')!
    const envFile = path.join(VALID, 'nested/deeper/app.env')
    expect(app.fileSources).toEqual([{kind: 'envFile', path: envFile, declaredPath: 'app.env'}])
    expect(app.placementOnly).toBe(false)
    expect(app.data).toEqual({
      DB_URL: {kind: 'envFile', path: envFile, declaredPath: 'app.env', variable: 'DB_URL'},
      API_KEY: {kind: 'envFile', path: envFile, declaredPath: 'app.env', variable: 'API_KEY'},
    })
  })

  it('marks a secret with neither data nor envFile placement-only', async () => {
    const model = await loadManifests(VALID)
    expect(model.secrets.find((s) => s.name === 'legacy')).toMatchObject({placementOnly: true, data: {}, backend: 'local'})
    expect(model.secrets.find((s) => s.name === 'github')!.placementOnly).toBe(false)
  })

  it('skips empty documents and handles several documents per file', async () => {
    const dir = writeTree({
      'all.yaml': '---\n# nothing here\n---\nkind: Secret\nname: a\n---\n\n---\nkind: secret\nname: b\n...\n',
    })
    const model = await loadManifests(dir)
    expect(model.secrets.map((s) => [s.name, s.at.line])).toEqual([
      ['a', 4],
      ['b', 9],
    ])
  })

  it('gives an empty model for a directory without manifests', async () => {
    const model = await loadManifests(writeTree({'README.md': 'no manifests'}))
    expect(model).toMatchObject({backends: [], secrets: [], files: [], config: {}})
    expect(model.digest).toMatch(/^[0-9a-f]{64}$/)
  })

  it('throws a UsageError for a directory that does not exist', async () => {
    const missing = path.join(tmpdir(), 'secretctl-no-such-dir-' + process.pid)
    await expect(loadManifests(missing)).rejects.toThrow(UsageError)
    await expect(loadManifests(missing)).rejects.toThrow(`manifests directory ${missing} does not exist`)
  })

  it('lets a manifest declare `default` as plaintext', async () => {
    const model = await loadManifests(writeTree({'b.yaml': 'kind: SecretBackend\nname: default\ntype: plaintext\n'}))
    expect(model.backends[0]).toMatchObject({name: 'default', type: 'plaintext', isDefault: false, config: {}})
  })
})

describe('readProjectConfig', () => {
  it('reads secretctl.yaml alone, and {} when there is none', async () => {
    expect(await readProjectConfig(VALID)).toEqual({state: '.secretctl/state.db', file: 'secretctl.yaml'})
    expect(await readProjectConfig(writeTree({'x.yaml': 'kind: Secret\nname: a\n'}))).toEqual({})
  })

  it('accepts secretctl.yml too', async () => {
    expect(await readProjectConfig(writeTree({'secretctl.yml': 'state: postgres://db/secrets\n'}))).toEqual({
      state: 'postgres://db/secrets',
      file: 'secretctl.yml',
    })
  })
})
