import {createHash} from 'node:crypto'
import {generateX25519Identity, identityToRecipient} from 'age-encryption'
import {describe, expect, it, vi} from 'vitest'
import * as sopsFormat from '../../../src/formats/sops-file.js'
import {loadManifests} from '../../../src/manifests/load-manifests.js'
import {writeSops} from '../../support/sops-writer.js'
import {expectClean, resolveProblems, resolveSecret, sopsFixture, tree} from './source-fixtures.js'

vi.mock('../../../src/formats/sops-file.js', async (original) => {
  const real = await original<typeof import('../../../src/formats/sops-file.js')>()
  return {...real, decryptSopsFile: vi.fn(real.decryptSopsFile)}
})

const FLUX_KEY = sopsFixture('flux-age.txt')
const FLUX_RECIPIENT = 'age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29'
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')
/** The ciphertext of a leaf as it stands in a YAML file. */
const encOf = (text: string, key: string) => (new RegExp(`^\\s*${key}: (ENC\\[[^\\]]+\\])`, 'm').exec(text) as RegExpExecArray)[1] as string

const secret = (name: string, body: string) => `kind: Secret\nname: ${name}\n${body}`

describe('fromSops', () => {
  it('reads one value of a file sops wrote (fluxcd vector), MAC verified, with the digest of its ciphertext', async () => {
    const text = sopsFixture('flux-secret.age.yaml')
    const dir = tree({
      'secrets/app.enc.yaml': text,
      'm/app.yaml': secret('app', 'data:\n  TOKEN: {fromSops: {file: ../secrets/app.enc.yaml, key: stringData.secret}}\n'),
    })
    const values = await resolveSecret(dir, 'app', {env: {SOPS_AGE_KEY: FLUX_KEY}})
    expect(values).toEqual({TOKEN: {source: 'sops', value: 'my-sops-age-secret', cipherDigest: sha256(encOf(text, 'secret'))}})
  })

  it('reads a key with a space by its path (terragrunt vector), and values of types other than str as sops prints them', async () => {
    const id = await generateX25519Identity()
    const dir = tree({
      'tg.enc.yaml': sopsFixture('terragrunt-issue-2103.enc.yaml'),
      'typed.enc.yaml': await writeSops(
        {port: 5432n, ratio: 0.25, on: true, hosts: ['a', 'b']},
        {format: 'yaml', recipients: [await identityToRecipient(id)]},
      ),
      's.yaml': secret(
        's',
        [
          'data:',
          '  ADDR: {fromSops: {file: tg.enc.yaml, key: secrets.SOME SECRET}}',
          '  PORT: {fromSops: {file: typed.enc.yaml, key: port}}',
          '  RATIO: {fromSops: {file: typed.enc.yaml, key: ratio}}',
          '  ON: {fromSops: {file: typed.enc.yaml, key: on}}',
          '  HOST_1: {fromSops: {file: typed.enc.yaml, key: hosts.1}}',
          '',
        ].join('\n'),
      ),
    })
    const keys = `${sopsFixture('terragrunt-issue-2103.keys.txt')}\n${id}\n`
    const values = await resolveSecret(dir, 's', {env: {SOPS_AGE_KEY: keys}})
    expect(Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.value]))).toEqual({
      ADDR: '0x629A673A8242c2AC4B7B8C5D8735fbeac21A6205',
      PORT: '5432',
      RATIO: '0.25',
      ON: 'true',
      HOST_1: 'b',
    })
  })

  it('decrypts each file once per run, however many keys and secrets name it', async () => {
    const decrypt = vi.mocked(sopsFormat.decryptSopsFile)
    decrypt.mockClear()
    const dir = tree({
      'app.enc.yaml': sopsFixture('flux-mix-pod.yaml'),
      'a.yaml': secret(
        'a',
        'data:\n  X: {fromSops: {file: app.enc.yaml, key: kind}}\n  Y: {fromSops: {file: app.enc.yaml, key: metadata.name}}\n',
      ),
      'b.yaml': secret('b', 'sopsFile: app.enc.yaml\n'),
    })
    const {resolveValues} = await import('../../../src/sources/resolve-values.js')
    const values = await resolveValues(await loadManifests(dir), {env: {SOPS_AGE_KEY: FLUX_KEY}})
    expect(values.get('b')?.get('spec.containers.0.env.0.value')?.value).toBe('and this is a secret')
    expect(decrypt).toHaveBeenCalledTimes(1)
  })

  it('without a key: an error at the manifest field naming the value file, its recipients and where keys were looked for', async () => {
    const dir = tree({
      'secrets/app.enc.yaml': sopsFixture('flux-secret.age.yaml'),
      'app.yaml': secret('app', 'data:\n  TOKEN: {fromSops: {file: secrets/app.enc.yaml, key: stringData.secret}}\n'),
    })
    const [p, ...rest] = await resolveProblems(dir)
    expect(rest).toEqual([])
    expect(p).toMatchObject({file: 'app.yaml', line: 4, field: 'data.TOKEN.fromSops'})
    expect(p?.message).toMatch(
      new RegExp(
        `^secret app, key TOKEN: cannot decrypt secrets/app\\.enc\\.yaml:7: no age identity found; the file is encrypted to ${FLUX_RECIPIENT}; looked in SOPS_AGE_KEY \\(not set\\)`,
      ),
    )
    expect(p?.hint).toContain('--allow-undecryptable')
  })

  it('with a key that is not a recipient: "wrong key", naming this machine\'s recipient; the key never appears', async () => {
    const other = await generateX25519Identity()
    const dir = tree({
      'app.enc.yaml': sopsFixture('flux-secret.age.yaml'),
      'app.yaml': secret('app', 'data:\n  TOKEN: {fromSops: {file: app.enc.yaml, key: stringData.secret}}\n'),
    })
    const problems = await resolveProblems(dir, {env: {SOPS_AGE_KEY: other}})
    expect(problems[0]?.message).toContain(`none of the 1 age identity found (recipients ${await identityToRecipient(other)})`)
    expectClean(problems, [other, 'my-sops-age-secret'])
  })

  it('with allowUndecryptable: unknown, with the ciphertext digest, the value file and the manifest field', async () => {
    const text = sopsFixture('flux-secret.age.yaml')
    const dir = tree({
      'app.enc.yaml': text,
      'app.yaml': secret('app', 'data:\n  TOKEN: {fromSops: {file: app.enc.yaml, key: stringData.secret}}\n'),
    })
    const values = await resolveSecret(dir, 'app', {allowUndecryptable: true})
    expect(values.TOKEN).toMatchObject({
      source: 'sops',
      unknown: {
        cipherDigest: sha256(encOf(text, 'secret')),
        file: 'app.enc.yaml',
        declared: {at: 'app.yaml:4:21', field: 'data.TOKEN.fromSops'},
      },
    })
    expect(values.TOKEN?.unknown?.reason).toContain('no age identity found')
    expect(values.TOKEN?.value).toBeUndefined()
  })

  it('a key path the file does not have is an error listing what it has, with or without the key', async () => {
    const dir = tree({
      'app.enc.yaml': sopsFixture('flux-secret.age.yaml'),
      'app.yaml': secret('app', 'data:\n  TOKEN: {fromSops: {file: app.enc.yaml, key: stringData.nope}}\n'),
    })
    for (const env of [{SOPS_AGE_KEY: FLUX_KEY}, {}]) {
      const problems = await resolveProblems(dir, {env, allowUndecryptable: true})
      expect(problems).toEqual([
        {
          file: 'app.yaml',
          line: 4,
          column: 21,
          field: 'data.TOKEN.fromSops',
          message: 'secret app, key TOKEN: fromSops app.enc.yaml has no value at "stringData.nope"',
          hint: 'it has apiVersion, kind, metadata.name, stringData.secret',
        },
      ])
    }
  })

  it('integrity and format errors name the manifest field and the value file:line, even with allowUndecryptable', async () => {
    const text = sopsFixture('flux-secret.age.yaml')
    const cases: Array<[string, string, RegExp]> = [
      [
        'MAC mismatch',
        text.replace('kind: Secret', 'kind: Secrets'),
        /^secret app, key T: app\.enc\.yaml:7: MAC mismatch: the values do not hash to sops\.mac/,
      ],
      [
        'tampered value',
        text.replace('data:RwzrBF8', 'data:AwzrBF8'),
        /^secret app, key T: app\.enc\.yaml:6: stringData\.secret: fails authentication/,
      ],
      [
        'bad base64',
        text.replace('data:RwzrBF8', 'data:Rw*rBF8'),
        /^secret app, key T: app\.enc\.yaml:6: stringData\.secret: has a data field that is not valid base64$/,
      ],
      [
        'unknown type',
        text.replace(/type:str\]$/m, 'type:uuid]'),
        /^secret app, key T: app\.enc\.yaml:6: stringData\.secret: has type "uuid"/,
      ],
      ['truncated', text.slice(0, text.indexOf('        -----END AGE')), /^secret app, key T: app\.enc\.yaml:\d+: /],
      [
        'PGP only',
        sopsFixture('sops-format.pgp.enc.yaml'),
        /^secret app, key T: app\.enc\.yaml:\d+: not supported: only age recipients \(it has pgp ×1, no age\)$/,
      ],
    ]
    const kmsOnly = await writeSops(
      {stringData: {secret: 'x'}},
      {
        format: 'yaml',
        recipients: [],
        extraMetadata: {kms: [{arn: 'arn:aws:kms:eu-west-1:1:key/k', enc: 'AQ==', created_at: '2024-01-01T00:00:00Z'}]},
      },
    )
    cases.push([
      'KMS only',
      kmsOnly,
      /^secret app, key T: app\.enc\.yaml:\d+: not supported: only age recipients \(it has kms ×1, no age\)$/,
    ])
    for (const [what, content, message] of cases) {
      const dir = tree({
        'app.enc.yaml': content,
        'app.yaml': secret('app', 'data:\n  T: {fromSops: {file: app.enc.yaml, key: stringData.secret}}\n'),
      })
      const problems = await resolveProblems(dir, {env: {SOPS_AGE_KEY: FLUX_KEY}, allowUndecryptable: true})
      expect(problems, what).toHaveLength(1)
      expect(problems[0], what).toMatchObject({file: 'app.yaml', line: 4, field: 'data.T.fromSops'})
      expect(problems[0]?.message, what).toMatch(message)
      expectClean(problems, ['my-sops-age-secret', FLUX_KEY.trim().split('\n').pop() as string])
    }
  })

  it('refuses a file outside the manifests directory, as fromFile does', async () => {
    const outside = tree({'app.enc.yaml': sopsFixture('flux-secret.age.yaml')})
    const dir = tree({'app.yaml': secret('app', `data:\n  T: {fromSops: {file: ${outside}/app.enc.yaml, key: stringData.secret}}\n`)})
    const problems = await resolveProblems(dir, {env: {SOPS_AGE_KEY: FLUX_KEY}})
    expect(problems[0]?.message).toMatch(/^secret app, key T: fromSops .*app\.enc\.yaml is outside the manifests directory/)
  })
})

describe('sopsFile', () => {
  it('makes every leaf a key, named by its path (fluxcd vector with lists of maps), read at load without any key', async () => {
    const dir = tree({'pod.enc.yaml': sopsFixture('flux-mix-pod.yaml'), 'pod.yaml': secret('pod', 'sopsFile: pod.enc.yaml\n')})
    const model = await loadManifests(dir)
    expect(Object.keys(model.secrets[0]?.data ?? {})).toEqual([
      'apiVersion',
      'kind',
      'metadata.name',
      'spec.containers.0.name',
      'spec.containers.0.image',
      'spec.containers.0.env.0.name',
      'spec.containers.0.env.0.value',
      'spec.containers.0.resources.limits.memory',
      'spec.containers.0.resources.limits.cpu',
    ])
    const values = await resolveSecret(dir, 'pod', {env: {SOPS_AGE_KEY: FLUX_KEY}})
    expect(values['spec.containers.0.env.0.value']).toMatchObject({source: 'sopsFile', value: 'and this is a secret'})
    expect(values['spec.containers.0.image']).toMatchObject({source: 'sopsFile', value: 'nginx:stable-alpine'})
  })

  it('refuses a leaf whose path is not a valid key name, naming the leaf (fromSops can name it)', async () => {
    const dir = tree({'tg.enc.yaml': sopsFixture('terragrunt-issue-2103.enc.yaml'), 's.yaml': secret('s', 'sopsFile: tg.enc.yaml\n')})
    const error = await loadManifests(dir).catch((e: Error & {problems?: unknown[]}) => e)
    expect((error as {problems: unknown[]}).problems).toEqual([
      expect.objectContaining({
        file: 's.yaml',
        line: 3,
        field: 'sopsFile',
        message: 'sopsFile tg.enc.yaml: "secrets.SOME SECRET" is not a valid key name',
      }),
    ])
  })

  it('without a key: one problem for the file, not one per key; with allowUndecryptable every key is unknown', async () => {
    const dir = tree({'pod.enc.yaml': sopsFixture('flux-mix-pod.yaml'), 'pod.yaml': secret('pod', 'sopsFile: pod.enc.yaml\n')})
    const problems = await resolveProblems(dir)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({file: 'pod.yaml', line: 3, field: 'sopsFile'})
    expect(problems[0]?.message).toMatch(/^secret pod: cannot decrypt pod\.enc\.yaml:\d+: no age identity found/)
    const values = await resolveSecret(dir, 'pod', {allowUndecryptable: true})
    expect(Object.values(values).every((v) => v.unknown?.file === 'pod.enc.yaml')).toBe(true)
    expect(Object.keys(values)).toHaveLength(9)
  })

  it('a damaged file is reported once at the sopsFile field; a PGP-only file at load reads no keys and says why', async () => {
    const text = sopsFixture('flux-mix-pod.yaml').replace('kind: Pod', 'kind: Pods')
    const dir = tree({'pod.enc.yaml': text, 'pod.yaml': secret('pod', 'sopsFile: pod.enc.yaml\n')})
    const problems = await resolveProblems(dir, {env: {SOPS_AGE_KEY: FLUX_KEY}})
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/^secret pod: pod\.enc\.yaml:\d+: MAC mismatch/)])
    const pgp = tree({'x.enc.yaml': sopsFixture('sops-format.pgp.enc.yaml'), 'x.yaml': secret('x', 'sopsFile: x.enc.yaml\n')})
    const refused = await resolveProblems(pgp, {env: {SOPS_AGE_KEY: FLUX_KEY}, allowUndecryptable: true})
    expect(refused.map((p) => [p.field, p.message])).toEqual([
      ['sopsFile', expect.stringMatching(/^secret x: x\.enc\.yaml:\d+: not supported: only age recipients \(it has pgp ×1, no age\)$/)],
    ])
  })
})
