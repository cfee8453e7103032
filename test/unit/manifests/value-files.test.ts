import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {loadManifests} from '../../../src/manifests/load-manifests.js'
import {validateManifests} from '../../../src/operations/validate-manifests.js'
import {renderValidationText} from '../../../src/render/validate-text.js'
import {SOPS_FIXTURES} from '../formats/format-fixtures.js'
import {isolatedEnv} from '../sources/source-fixtures.js'
import {writeTree} from './temp-tree.js'

const fixture = (name: string) => readFileSync(path.join(SOPS_FIXTURES, name), 'utf8')
const FLUX_KEY = fixture('flux-age.txt')
const RECIPIENT = 'age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29'
const APP = 'kind: Secret\nname: app\ndata:\n  TOKEN: {fromSops: {file: secrets/app.enc.yaml, key: stringData.secret}}\n'

describe('SOPS files beside the manifests', () => {
  it('a YAML file with a top-level sops: block is a value file, not a manifest (even one holding kind: Secret), and not in the digest', async () => {
    const dir = writeTree({'app.yaml': APP, 'secrets/app.enc.yaml': fixture('flux-secret.age.yaml')})
    const model = await loadManifests(dir)
    expect(model.valueFiles).toEqual([{file: 'secrets/app.enc.yaml', format: 'SOPS-encrypted'}])
    expect(model.files).toEqual(['app.yaml'])
    expect(model.secrets.map((s) => s.name)).toEqual(['app'])
    writeFileSync(path.join(dir, 'secrets/app.enc.yaml'), fixture('flux-algorithms-age.yaml'))
    expect((await loadManifests(dir)).digest).toBe(model.digest)
  })

  it('validate reports each encrypted file: format, recipients, whether it decrypts here, MAC status; an unreferenced value file is a warning', async () => {
    const dir = writeTree({
      'app.yaml': APP,
      'secrets/app.enc.yaml': fixture('flux-secret.age.yaml'),
      'secrets/old.enc.yaml': fixture('flux-algorithms-age.yaml'),
    })
    const v = await validateManifests({dir, env: isolatedEnv({SOPS_AGE_KEY: FLUX_KEY})})
    expect(v).toEqual({
      environment: null,
      backends: 0,
      secrets: 1,
      files: 1,
      valueFiles: [
        {file: 'secrets/app.enc.yaml', format: 'SOPS-encrypted'},
        {file: 'secrets/old.enc.yaml', format: 'SOPS-encrypted'},
      ],
      encryptedFiles: [
        {
          file: 'secrets/app.enc.yaml',
          format: 'SOPS (yaml)',
          recipients: [RECIPIENT],
          decrypts: true,
          integrity: {check: 'MAC', status: 'verified'},
        },
      ],
      warnings: ['secrets/old.enc.yaml is a SOPS-encrypted value file that no manifest references (it is not a manifest)'],
    })
    const text = renderValidationText(v)
    expect(text).toContain(
      'Valid: 0 backend(s), 1 secret(s) in 1 file(s).\nsecrets/app.enc.yaml: SOPS-encrypted value file, not a manifest\n',
    )
    expect(text).toContain(`  secrets/app.enc.yaml  SOPS (yaml)\n    recipients: ${RECIPIENT}\n    decrypts here: yes; MAC: verified\n`)
    expect(text).toContain('Warning: secrets/old.enc.yaml is a SOPS-encrypted value file that no manifest references')
    expect(text).not.toContain('my-sops-age-secret')
  })

  it('validate without the key fails naming the source; with allowUndecryptable it reports the file as not decrypting here', async () => {
    const dir = writeTree({'app.yaml': APP, 'secrets/app.enc.yaml': fixture('flux-secret.age.yaml')})
    await expect(validateManifests({dir, env: isolatedEnv()})).rejects.toThrow(
      /app\.yaml:4:\d+: data\.TOKEN\.fromSops: secret app, key TOKEN: cannot decrypt secrets\/app\.enc\.yaml:7: no age identity found/,
    )
    const v = await validateManifests({dir, env: isolatedEnv(), allowUndecryptable: true})
    expect(v.encryptedFiles[0]).toMatchObject({decrypts: false, integrity: {check: 'MAC', status: 'not checked'}})
    expect(v.encryptedFiles[0]?.problem).toMatch(/^secrets\/app\.enc\.yaml:7: no age identity found/)
    expect(renderValidationText(v)).toContain('decrypts here: no; MAC: not checked')
  })

  it('a tampered file fails validate (with or without allowUndecryptable), naming the file', async () => {
    const dir = writeTree({
      'app.yaml': APP,
      'secrets/app.enc.yaml': fixture('flux-secret.age.yaml').replace('kind: Secret', 'kind: Secrets'),
    })
    await expect(validateManifests({dir, env: isolatedEnv({SOPS_AGE_KEY: FLUX_KEY})})).rejects.toThrow(
      /secrets\/app\.enc\.yaml:7: MAC mismatch: the values do not hash to sops\.mac/,
    )
  })
})
