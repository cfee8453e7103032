import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {PasswordUnavailableError} from '../../../src/backends/encrypted/encrypted-errors.js'
import {ToolhiveStoreError} from '../../../src/formats/toolhive-store.js'
import {importName, mapImportNames} from '../../../src/import/import-names.js'
import {applyManifests} from '../../../src/operations/apply-manifests.js'
import {execWithSecrets} from '../../../src/operations/exec-with-secrets.js'
import {type ImportToolhiveRequest, importToolhive} from '../../../src/operations/import-toolhive.js'
import {planManifests} from '../../../src/operations/plan-manifests.js'
import {UsageError} from '../../../src/errors.js'
import {openState} from '../../../src/state/open-state.js'
import {writeToolhiveFile} from '../../support/toolhive-writer.js'
import {caught, errorText, fakeKeyring, withKeyring} from '../encrypted/helpers.js'

const CANARY_A = 'CANARY-thv-a-61d0f2'
const CANARY_B = 'CANARY-thv-b-0c9e44'
const THV_PASSWORD = 'CANARY-thv-password-5e2a'
const ENC_PASSWORD = 'CANARY-enc-password-8b31'
const CANARIES = [CANARY_A, CANARY_B, THV_PASSWORD, ENC_PASSWORD]

let dir: string
let work: string

const env = {SECRETCTL_ENCRYPTION_PASSWORD: ENC_PASSWORD, TOOLHIVE_SECRETS_PASSWORD: THV_PASSWORD}

function expectClean(text: string): void {
  for (const c of CANARIES) expect(text).not.toContain(c)
}

function request(overrides: Partial<ImportToolhiveRequest> = {}): ImportToolhiveRequest {
  return {
    dir,
    env,
    file: path.join(work, 'secrets_encrypted'),
    backend: 'vault',
    dryRun: false,
    lockTimeoutMs: 0,
    keyring: false,
    interactive: false,
    ...overrides,
  }
}

async function stateRows(): Promise<string> {
  const state = await openState({dir, create: false})
  try {
    return JSON.stringify([await state.listSecrets(), await state.listAudit()])
  } finally {
    await state.close()
  }
}

beforeEach(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'secretctl-thv-'))
  dir = path.join(work, 'project')
  const backend = 'kind: SecretBackend\nname: vault\ntype: encrypted\nconfig: {kdf: {timeCost: 1, memoryKiB: 1024, parallelism: 1}}\n'
  await import('node:fs/promises').then((fs) => fs.mkdir(dir)).then(() => writeFileSync(path.join(dir, 'backends.yaml'), backend))
  const applied = await applyManifests({dir, env, command: 'apply', lockTimeoutMs: 0})
  expect(applied.result?.ok).toBe(true)
})
afterEach(() => rmSync(work, {recursive: true, force: true}))

describe('import names', () => {
  it.each([
    ['github', 'github'],
    ['GitHub Token', 'github-token'],
    ['GITHUB_TOKEN', 'github_token'],
    ['  --weird//name!!  ', 'weird-name'],
    ['日本', 'secret'],
    ['é-accent', 'e-accent'],
    ['x'.repeat(80), 'x'.repeat(63)],
  ])('%j → %j', (from, to) => expect(importName(from)).toBe(to))

  it('keeps valid names, and numbers the others that would collide, the same way every time', () => {
    const mapping = mapImportNames(['GitHub Token', 'github-token', 'GITHUB TOKEN'])
    expect(Object.fromEntries(mapping)).toEqual({
      'github-token': 'github-token',
      'GITHUB TOKEN': 'github-token-2',
      'GitHub Token': 'github-token-3',
    })
    expect(mapImportNames(['GITHUB TOKEN', 'GitHub Token', 'github-token'])).toEqual(mapping)
  })
})

describe.each(['thvsec', 'legacy'] as const)('import toolhive, %s format', (format) => {
  beforeEach(async () => {
    await writeToolhiveFile(path.join(work, 'secrets_encrypted'), {'GitHub Token': CANARY_A, slack: CANARY_B}, THV_PASSWORD, {format})
  })

  it('writes each value to the backend, records it, writes placement-only manifests; plan then has nothing to do', async () => {
    const result = await importToolhive(request())
    expect(result.ok).toBe(true)
    expect(result.secrets).toEqual([
      {from: 'GitHub Token', name: 'github-token', keys: ['value'], status: 'imported', manifest: 'toolhive/github-token.yaml'},
      {from: 'slack', name: 'slack', keys: ['value'], status: 'imported', manifest: 'toolhive/slack.yaml'},
    ])
    expect(readFileSync(path.join(dir, 'toolhive/github-token.yaml'), 'utf8')).toContain(
      'kind: Secret\nname: github-token\nbackend: vault\n',
    )
    const {plan} = await planManifests({dir, env})
    expect(plan.changes).toEqual([])
    expectClean(JSON.stringify(result) + (await stateRows()) + readFileSync(path.join(dir, '.secretctl/state.db')).toString('latin1'))

    // Read back the way a consumer does.
    const out = path.join(work, 'out.txt')
    const code = await execWithSecrets({
      dir,
      env,
      secrets: ['github-token,target=GH'],
      argv: ['node', '-e', `require('fs').writeFileSync(${JSON.stringify(out)}, process.env.GH)`],
    })
    expect(code).toBe(0)
    expect(readFileSync(out, 'utf8')).toBe(CANARY_A)

    // Again: everything already imported, nothing written, nothing refused.
    const again = await importToolhive(request())
    expect(again.secrets.map((s) => s.status)).toEqual(['already imported', 'already imported'])
  })

  it('a dry run shows the mapping and changes nothing', async () => {
    const before = await stateRows()
    const result = await importToolhive(request({dryRun: true}))
    expect(result.secrets.map((s) => [s.from, s.name, s.status])).toEqual([
      ['GitHub Token', 'github-token', 'would import'],
      ['slack', 'slack', 'would import'],
    ])
    expect(result.runId).toBeNull()
    expect(await stateRows()).toBe(before)
    expect(existsSync(path.join(dir, 'toolhive'))).toBe(false)
  })

  it('refuses, changing nothing, a name that is already another secret in the manifests or the state', async () => {
    writeFileSync(path.join(dir, 'mine.yaml'), 'kind: Secret\nname: slack\ndata:\n  TOKEN: {fromEnv: HOME}\n')
    const before = await stateRows()
    const err = await caught(() => importToolhive(request()))
    expect(err).toBeInstanceOf(UsageError)
    expect(err.message).toContain('1 of 2 secrets cannot be imported; nothing was changed')
    expect(err.message).toContain('toolhive "slack" → slack: secret slack is already declared at mine.yaml:1')
    expect(await stateRows()).toBe(before)
    expect(existsSync(path.join(dir, 'toolhive'))).toBe(false)
    expectClean(errorText(err))
  })

  it('finishes an interrupted import: a secret recorded without its manifest gets the manifest', async () => {
    await importToolhive(request())
    rmSync(path.join(dir, 'toolhive/slack.yaml'))
    const result = await importToolhive(request())
    expect(result.secrets.map((s) => [s.name, s.status, s.manifest])).toEqual([
      ['github-token', 'already imported', null],
      ['slack', 'already imported', 'toolhive/slack.yaml'],
    ])
    expect((await planManifests({dir, env})).plan.changes).toEqual([])
  })

  it("the password comes from ToolHive's keyring entry when the variable is not set", async () => {
    const keyring = fakeKeyring({'toolhive/toolhive': THV_PASSWORD})
    const result = await importToolhive(request({env: {SECRETCTL_ENCRYPTION_PASSWORD: ENC_PASSWORD}, keyring: withKeyring(keyring)}))
    expect(result.ok).toBe(true)
  })
})

describe('import toolhive refusals', () => {
  beforeEach(async () => {
    await writeToolhiveFile(path.join(work, 'secrets_encrypted'), {a: CANARY_A}, THV_PASSWORD, {format: 'thvsec'})
  })

  it('no password: an error naming TOOLHIVE_SECRETS_PASSWORD, the keyring and the prompt', async () => {
    const err = await caught(() => importToolhive(request({env: {SECRETCTL_ENCRYPTION_PASSWORD: ENC_PASSWORD}})))
    expect(err).toBeInstanceOf(PasswordUnavailableError)
    expect(err.message).toContain('no password for the ToolHive secrets file')
    expect((err as PasswordUnavailableError).hint).toContain('set TOOLHIVE_SECRETS_PASSWORD')
  })

  it('a wrong password or a truncated file: an error naming the file, nothing changed', async () => {
    const before = await stateRows()
    const wrong = await caught(() => importToolhive(request({env: {...env, TOOLHIVE_SECRETS_PASSWORD: 'nope'}})))
    expect(wrong).toBeInstanceOf(ToolhiveStoreError)
    const file = path.join(work, 'secrets_encrypted')
    writeFileSync(file, readFileSync(file).subarray(0, 30))
    const truncated = await caught(() => importToolhive(request()))
    expect((truncated as ToolhiveStoreError).problem).toBe('truncated')
    expect(await stateRows()).toBe(before)
    expect(readdirSync(dir).sort()).toEqual(['.secretctl', 'backends.yaml'])
    expectClean(errorText(wrong) + errorText(truncated))
  })

  it('an undeclared backend, or --out outside the manifests directory, is a usage error before any password is asked', async () => {
    const noBackend = await caught(() => importToolhive(request({backend: 'nope', env: {}})))
    expect(noBackend.message).toBe('backend nope is not declared in the manifests')
    const outside = await caught(() => importToolhive(request({outDir: '../elsewhere', env: {}})))
    expect(outside).toBeInstanceOf(UsageError)
    expect(outside.message).toContain('is outside the manifests directory')
  })

  it('a wrong password for the destination backend changes nothing', async () => {
    // The store gets its key with its first value.
    writeFileSync(path.join(dir, 'first.yaml'), 'kind: Secret\nname: first\nbackend: vault\ndata:\n  K: {fromEnv: HOME}\n')
    expect((await applyManifests({dir, env: {...env, HOME: 'h'}, command: 'apply', lockTimeoutMs: 0})).result?.ok).toBe(true)
    const before = await stateRows()
    const err = await caught(() => importToolhive(request({env: {...env, SECRETCTL_ENCRYPTION_PASSWORD: 'wrong'}})))
    expect(err.message).toBe('wrong password for backend vault')
    expect(await stateRows()).toBe(before)
  })
})
