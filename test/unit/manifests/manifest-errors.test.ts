import {describe, expect, it} from 'vitest'
import {ManifestErrors} from '../../../src/errors.js'
import {loadManifests} from '../../../src/manifests/load-manifests.js'
import {problemsOf, writeTree} from './temp-tree.js'

const BAO = `kind: SecretBackend
name: bao
type: openbao
isDefault: true
config:
  url: https://bao.example:8200
  tokenSecretRef: {name: bao-creds, key: token}
`

describe('manifest errors: position, field and message', () => {
  it('broken YAML is reported at the parser position', async () => {
    const problems = await problemsOf({'bad.yaml': 'kind: Secret\nname: x\ndata:\n  A: {fromEnv: B\n'})
    expect(problems).toEqual([
      {file: 'bad.yaml', line: 5, column: 1, field: '', message: expect.stringMatching(/^invalid YAML: flow map .*end with a \}$/)},
    ])
  })

  it('one YAML mistake gives one problem', async () => {
    const problems = await problemsOf({'bad.yaml': 'kind: Secret\n  name: x\n'})
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({
      file: 'bad.yaml',
      line: 1,
      column: 7,
      message: 'invalid YAML: nested mappings are not allowed in compact mappings',
    })
  })

  it('duplicate YAML keys are an error', async () => {
    const problems = await problemsOf({'dup.yaml': 'kind: Secret\nname: x\nname: y\n'})
    expect(problems).toMatchObject([{file: 'dup.yaml', line: 3, column: 1, message: 'invalid YAML: map keys must be unique'}])
  })

  it('a wrong type is reported on the value', async () => {
    const problems = await problemsOf({'s.yaml': 'kind: Secret\nname: x\nkeepSource: "yes"\n'})
    expect(problems).toEqual([{file: 's.yaml', line: 3, column: 13, field: 'keepSource', message: 'must be true or false'}])
  })

  it('an unknown field is reported on its key, with the allowed fields', async () => {
    const problems = await problemsOf({'nested/s.yaml': 'kind: Secret\nname: x\ndata:\n  A:\n    fromEnv: A\n    colour: red\n'})
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({
      file: 'nested/s.yaml',
      line: 6,
      column: 5,
      field: 'data.A.colour',
      message: 'unknown field "colour"',
    })
    expect(problems[0]!.hint).toBe('allowed fields: fromEnv, fromFile, generate')
  })

  it('a missing required field points at the document start', async () => {
    const problems = await problemsOf({'b.yaml': '# a comment\nkind: SecretBackend\ntype: plaintext\n'})
    expect(problems).toEqual([{file: 'b.yaml', line: 2, column: 1, field: 'name', message: 'missing required field "name"'}])
  })

  it('enum, pattern and nested required problems read like a human wrote them', async () => {
    const problems = await problemsOf({
      'b.yaml': 'kind: SecretBackend\nname: Bao\ntype: consul\n---\nkind: SecretBackend\nname: b\ntype: openbao\nconfig:\n  url: ftp://x\n',
    })
    expect(problems).toEqual([
      {
        file: 'b.yaml',
        line: 2,
        column: 7,
        field: 'name',
        message: "must be lowercase letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
      },
      {file: 'b.yaml', line: 3, column: 7, field: 'type', message: 'must be one of plaintext, openbao, vault, encrypted'},
      {file: 'b.yaml', line: 9, column: 3, field: 'config.tokenSecretRef', message: 'missing required field "tokenSecretRef"'},
      {file: 'b.yaml', line: 9, column: 8, field: 'config.url', message: 'must be an http:// or https:// URL'},
    ])
  })

  it('two sources for one key give one problem, not a oneOf cascade', async () => {
    const problems = await problemsOf({'s.yaml': 'kind: Secret\nname: x\ndata:\n  A: {fromEnv: A, fromFile: a.txt}\n'})
    expect(problems).toEqual([
      {file: 's.yaml', line: 4, column: 6, field: 'data.A', message: 'give exactly one of fromEnv, fromFile, generate'},
    ])
  })

  it('bad key names and generate limits', async () => {
    const problems = await problemsOf({
      's.yaml': 'kind: Secret\nname: x\ndata:\n  1KEY: {fromEnv: A}\n  B: {generate: {length: 4, charset: ebcdic, rotateEvery: soon}}\n',
    })
    expect(problems.map((p) => [p.line, p.column, p.field])).toEqual([
      [4, 3, 'data.1KEY'],
      [5, 26, 'data.B.generate.length'],
      [5, 38, 'data.B.generate.charset'],
      [5, 59, 'data.B.generate.rotateEvery'],
    ])
    expect(problems[0]!.message).toMatch(/^invalid key "1KEY": must start with a letter or '_'/)
    expect(problems[1]!.message).toBe('must be at least 8')
    expect(problems[3]!.message).toBe('must be a duration such as 45s, 90m, 1h30m, 24h or 30d')
  })

  it('plaintext backends take no config and no rotation', async () => {
    const problems = await problemsOf({
      'b.yaml': 'kind: SecretBackend\nname: p\ntype: plaintext\nconfig: {url: http://x}\nrotation: {period: 24h}\n',
    })
    expect(problems).toMatchObject([
      {line: 4, column: 10, field: 'config.url', message: 'unknown field "url"', hint: 'a plaintext backend takes no configuration'},
      {line: 5, column: 1, field: 'rotation', message: 'rotation is only allowed on openbao backends, not plaintext'},
    ])
  })

  it('zero durations are refused', async () => {
    const problems = await problemsOf({
      'b.yaml': BAO + 'rotation: {period: 0s}\n',
      'c.yaml': 'kind: Secret\nname: bao-creds\nbackend: default\n',
    })
    expect(problems).toMatchObject([
      {file: 'b.yaml', line: 8, column: 20, field: 'rotation.period', message: 'must be a duration longer than 0'},
    ])
  })

  it('duplicate names: the second occurrence, naming where the first is', async () => {
    const problems = await problemsOf({
      'a.yaml': 'kind: Secret\nname: github\n',
      'b/c.yaml': '---\nkind: Secret\nname: other\n---\nkind: Secret\nname: github\n',
    })
    expect(problems).toEqual([
      {file: 'b/c.yaml', line: 6, column: 7, field: 'name', message: 'duplicate Secret "github"; first declared at a.yaml:1'},
    ])
  })

  it('the same name for a backend and a secret is fine', async () => {
    const model = await loadManifests(writeTree({'a.yaml': 'kind: Secret\nname: x\n---\nkind: SecretBackend\nname: x\ntype: plaintext\n'}))
    expect([model.backends.length, model.secrets.length]).toEqual([1, 1])
  })

  it('two defaults: each extra one is reported', async () => {
    const p = (n: string) => `kind: SecretBackend\nname: ${n}\ntype: plaintext\nisDefault: true\n`
    const problems = await problemsOf({'a.yaml': p('one'), 'b.yaml': p('two'), 'c.yaml': p('three')})
    expect(problems).toEqual([
      {
        file: 'b.yaml',
        line: 4,
        column: 12,
        field: 'isDefault',
        message: 'only one backend can be the default; one already is (a.yaml:1)',
        hint: 'set isDefault: true on one backend only',
      },
      {
        file: 'c.yaml',
        line: 4,
        column: 12,
        field: 'isDefault',
        message: 'only one backend can be the default; one already is (a.yaml:1)',
        hint: 'set isDefault: true on one backend only',
      },
    ])
  })

  it('a declared `default` must be plaintext', async () => {
    const problems = await problemsOf({'a.yaml': BAO.replace('name: bao', 'name: default').replace('isDefault: true\n', '')})
    expect(problems).toContainEqual(
      expect.objectContaining({
        line: 3,
        column: 7,
        field: 'type',
        message: 'the backend "default" is the plaintext trust root; its type must be plaintext',
      }),
    )
  })

  it('a dangling backend reference', async () => {
    const problems = await problemsOf({
      's.yaml': 'kind: Secret\nname: x\nbackend: nowhere\n',
      'b.yaml': 'kind: SecretBackend\nname: local\ntype: plaintext\n',
    })
    expect(problems).toEqual([
      {
        file: 's.yaml',
        line: 3,
        column: 10,
        field: 'backend',
        message: 'unknown backend "nowhere"',
        hint: 'declared backends: default, local',
      },
    ])
  })

  it('`backend: default` resolves without declaring it', async () => {
    const model = await loadManifests(writeTree({'s.yaml': 'kind: Secret\nname: x\nbackend: default\n'}))
    expect(model.secrets[0]!.backend).toBe('default')
  })

  it('a backend with a schema error still counts as declared (no spurious dangling reference)', async () => {
    const problems = await problemsOf({
      's.yaml': 'kind: Secret\nname: x\nbackend: bao\n',
      'b.yaml': BAO.replace('https://bao.example:8200', 'nope'),
    })
    expect(problems.map((p) => p.field)).toEqual(['config.url', 'config.tokenSecretRef.name'])
  })

  it('a dangling tokenSecretRef', async () => {
    const problems = await problemsOf({'b.yaml': BAO})
    expect(problems).toMatchObject([
      {file: 'b.yaml', line: 7, column: 26, field: 'config.tokenSecretRef.name', message: 'no Secret named "bao-creds" is declared'},
    ])
  })

  it('a tokenSecretRef to a secret on the (non-plaintext) default backend', async () => {
    const problems = await problemsOf({'b.yaml': BAO, 's.yaml': 'kind: Secret\nname: bao-creds\ndata:\n  token: {fromEnv: BAO_TOKEN}\n'})
    expect(problems).toEqual([
      {
        file: 'b.yaml',
        line: 7,
        column: 26,
        field: 'config.tokenSecretRef.name',
        message: `secret "bao-creds" lives on the default backend, "bao" (openbao); a backend's token must live on a plaintext backend`,
        hint: 'set backend: default on secret bao-creds (s.yaml:1)',
      },
    ])
  })

  it('a tokenSecretRef to a secret placed on an openbao backend explicitly', async () => {
    const other = BAO.replace('name: bao', 'name: other').replace('isDefault: true\n', '')
    const problems = await problemsOf({
      'b.yaml': BAO,
      'o.yaml': other,
      's.yaml': 'kind: Secret\nname: bao-creds\nbackend: other\ndata:\n  token: {fromEnv: T}\n',
    })
    // both backends point at bao-creds, which lives on `other` (openbao)
    expect(problems.map((p) => [p.file, p.line, p.field])).toEqual([
      ['b.yaml', 7, 'config.tokenSecretRef.name'],
      ['o.yaml', 6, 'config.tokenSecretRef.name'],
    ])
    expect(problems[0]!.message).toContain('lives on backend "other" (openbao)')
  })

  it('a tokenSecretRef is fine when the secret omits backend and the default is plaintext', async () => {
    const bao = BAO.replace('isDefault: true\n', '')
    const model = await loadManifests(writeTree({'b.yaml': bao, 's.yaml': 'kind: Secret\nname: bao-creds\ndata:\n  token: {fromEnv: T}\n'}))
    expect(model.backends[0]!.name).toBe('bao')
  })

  it('a tokenSecretRef key the secret does not have; placement-only secrets are not checked', async () => {
    const problems = await problemsOf({
      'b.yaml': BAO,
      's.yaml': 'kind: Secret\nname: bao-creds\nbackend: default\ndata:\n  TOKEN: {fromEnv: T}\n',
    })
    expect(problems).toEqual([
      {
        file: 'b.yaml',
        line: 7,
        column: 42,
        field: 'config.tokenSecretRef.key',
        message: 'secret "bao-creds" has no key "token"',
        hint: 'its keys: TOKEN',
      },
    ])
    const model = await loadManifests(writeTree({'b.yaml': BAO, 's.yaml': 'kind: Secret\nname: bao-creds\nbackend: default\n'}))
    expect(model.secrets[0]!.placementOnly).toBe(true)
  })

  it('literal values are refused without echoing them', async () => {
    const problems = await problemsOf({
      's.yaml':
        'kind: Secret\nname: x\ndata:\n  TOKEN: abc123SuperSecret\n  PIN: 987654\n  PASS: {value: hunter2-Pa55}\n  OTHER: {literal: zz-Literal-zz}\n',
    })
    expect(problems.map((p) => [p.line, p.column, p.field])).toEqual([
      [4, 10, 'data.TOKEN'],
      [5, 8, 'data.PIN'],
      [6, 17, 'data.PASS.value'],
      [7, 20, 'data.OTHER.literal'],
    ])
    for (const p of problems)
      expect(p.message).toBe('literal secret value: manifests live in git; use fromEnv, fromFile, envFile or generate')
    let message = ''
    try {
      await loadManifests(
        writeTree({'s.yaml': 'kind: Secret\nname: x\ndata:\n  TOKEN: abc123SuperSecret\n  PASS: {value: hunter2-Pa55}\n'}),
      )
    } catch (error) {
      message = (error as Error).message + JSON.stringify((error as ManifestErrors).problems)
    }
    expect(message).toContain('literal secret value')
    for (const secret of ['abc123SuperSecret', 'hunter2-Pa55']) expect(message).not.toContain(secret)
  })

  it('an unknown kind names the kinds that exist', async () => {
    const problems = await problemsOf({'k.yaml': 'kind: ConfigMap\nname: x\n'})
    expect(problems).toEqual([
      {file: 'k.yaml', line: 1, column: 7, field: 'kind', message: 'unknown kind "ConfigMap"', hint: 'kinds: SecretBackend, Secret'},
    ])
  })

  it('a missing kind', async () => {
    const problems = await problemsOf({'k.yaml': '\n\nname: x\n'})
    expect(problems).toEqual([
      {file: 'k.yaml', line: 3, column: 1, field: '', message: 'missing required field "kind"', hint: 'kinds: SecretBackend, Secret'},
    ])
  })

  it('a document that is not a mapping', async () => {
    const problems = await problemsOf({'l.yaml': '- kind: Secret\n'})
    expect(problems).toMatchObject([{file: 'l.yaml', line: 1, column: 1, field: ''}])
  })

  it('a bad apiVersion', async () => {
    const problems = await problemsOf({'v.yaml': 'apiVersion: secretctl/v2\nkind: Secret\nname: x\n'})
    expect(problems).toEqual([{file: 'v.yaml', line: 1, column: 13, field: 'apiVersion', message: 'must be secretctl/v1'}])
  })

  it('a key both in data and in the envFile is ambiguous', async () => {
    const problems = await problemsOf({
      'dir/s.yaml': 'kind: Secret\nname: x\nenvFile: ../.env.app\ndata:\n  API_KEY: {fromEnv: K}\n',
      '.env.app': 'API_KEY=1\nOTHER=2\n',
    })
    expect(problems).toMatchObject([
      {
        file: 'dir/s.yaml',
        line: 5,
        column: 3,
        field: 'data.API_KEY',
        message: 'key API_KEY is given both in data and in envFile ../.env.app',
      },
    ])
  })

  it('an invalid secretctl.yaml', async () => {
    const problems = await problemsOf({'secretctl.yaml': 'state: 5\nstat: x\n'})
    expect(problems).toMatchObject([
      {file: 'secretctl.yaml', line: 1, column: 8, field: 'state', message: 'must be a string'},
      {file: 'secretctl.yaml', line: 2, column: 1, field: 'stat', message: 'unknown field "stat"'},
    ])
  })

  it('reports every problem of the run together, across files, in file:line order', async () => {
    const error = await loadManifests(
      writeTree({
        'z.yaml': 'kind: Secret\nname: x\nbackend: missing\n',
        'a.yaml': 'kind: Secret\nname: y\nfoo: 1\n---\nkind: Widget\n',
        'm/broken.yml': 'kind: [\n',
        'secretctl.yaml': 'nope: 1\n',
      }),
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ManifestErrors)
    const problems = (error as ManifestErrors).problems
    expect(problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.field}`)).toEqual([
      'a.yaml:3:1 foo',
      'a.yaml:5:7 kind',
      'm/broken.yml:2:1 ',
      'secretctl.yaml:1:1 nope',
      'z.yaml:3:10 backend',
    ])
    expect((error as Error).message).toMatch(/^5 problems in the manifests:\n {2}a\.yaml:3:1: foo: unknown field "foo"/)
  })
})

describe('rotated tokens', () => {
  it('a rotated backend token with a value source is an error at the key', async () => {
    const {loadManifests} = await import('../../../src/manifests/load-manifests.js')
    const {mkdtempSync, writeFileSync} = await import('node:fs')
    const {tmpdir} = await import('node:os')
    const path = await import('node:path')
    const dir = mkdtempSync(path.join(tmpdir(), 'secretctl-rot-'))
    writeFileSync(
      path.join(dir, 'm.yaml'),
      'kind: SecretBackend\nname: bao\ntype: openbao\nconfig:\n  url: http://127.0.0.1:8200\n  tokenSecretRef: { name: creds, key: token }\nrotation:\n  tokenRole: r\n  period: 24h\n---\nkind: Secret\nname: creds\nbackend: default\ndata:\n  token: { fromEnv: BAO_TOKEN }\n',
    )
    const err = await loadManifests(dir).catch((e) => e)
    expect(err.problems).toEqual([
      expect.objectContaining({file: 'm.yaml', line: 15, field: 'data.token', message: expect.stringMatching(/rotates this token/)}),
    ])
    // Placement only, the same manifests load, rotation settings and all.
    writeFileSync(
      path.join(dir, 'm.yaml'),
      'kind: SecretBackend\nname: bao\ntype: openbao\nconfig:\n  url: http://127.0.0.1:8200\n  tokenSecretRef: { name: creds, key: token }\nrotation:\n  tokenRole: r\n  policy: p\n  period: 24h\n  ttl: 720h\n---\nkind: Secret\nname: creds\nbackend: default\n',
    )
    const model = await loadManifests(dir)
    expect(model.backends[0]!.rotation).toEqual({tokenRole: 'r', policy: 'p', period: '24h', ttl: '720h'})
  })
})
