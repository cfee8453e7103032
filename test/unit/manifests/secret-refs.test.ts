/**
 * A Secret's `refs`: validated by the composed schema (key names, strings or nothing) and by the
 * backend kind's own check; only on kinds that read values where they are, never with data
 * sources; required where the kind cannot list a secret's keys (environment).
 */
import {describe, expect, it} from 'vitest'
import {loadManifests} from '../../../src/manifests/load-manifests.js'
import {problemsOf, writeTree} from './temp-tree.js'

const OP = `kind: SecretBackend
name: op
type: onepassword
config:
  url: http://127.0.0.1:8080
  tokenSecretRef: {name: op-creds, key: token}
  vault: Eng
---
kind: Secret
name: op-creds
backend: default
`
const CI = 'kind: SecretBackend\nname: ci\ntype: environment\n'

describe('refs on a Secret', () => {
  it('loads refs, a key without a ref as null, and marks the secret placement-only', async () => {
    const model = await loadManifests(
      writeTree({
        'b.yaml': OP + '---\n' + CI,
        's.yaml':
          'kind: Secret\nname: github\nbackend: op\nrefs:\n  TOKEN: op://Eng/GitHub/token\n  USER:\n---\nkind: Secret\nname: app\nbackend: ci\nrefs: {API_KEY: }\n',
      }),
    )
    const github = model.secrets.find((s) => s.name === 'github')!
    expect(github).toMatchObject({placementOnly: true, refs: {TOKEN: 'op://Eng/GitHub/token', USER: null}, data: {}})
    expect(model.backends.find((b) => b.name === 'ci')!.config).toEqual({prefix: 'SECRETCTL_SECRET_'})
  })

  it('refuses a ref the kind does not understand, without repeating it', async () => {
    const problems = await problemsOf({'b.yaml': OP, 's.yaml': 'kind: Secret\nname: github\nbackend: op\nrefs:\n  TOKEN: ghp_literal\n'})
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({file: 's.yaml', line: 5, field: 'refs.TOKEN', message: expect.stringMatching(/op:\/\//)})
    expect(JSON.stringify(problems)).not.toContain('ghp_literal')
  })

  it('refuses refs on a kind secretctl writes, and refs with data sources', async () => {
    const onDefault = await problemsOf({'s.yaml': 'kind: Secret\nname: a\nrefs: {K: x}\n'})
    expect(onDefault[0]).toMatchObject({field: 'refs', message: expect.stringMatching(/plaintext, which takes no refs/)})
    expect(onDefault[0]!.hint).toMatch(/onepassword, environment/)
    const both = await problemsOf({'b.yaml': OP, 's.yaml': 'kind: Secret\nname: a\nbackend: op\nrefs: {K: }\ndata: {L: {fromEnv: L}}\n'})
    expect(both[0]).toMatchObject({field: 'refs', message: expect.stringMatching(/cannot be combined/)})
  })

  it('a secret on an environment backend must name its keys under refs', async () => {
    const problems = await problemsOf({'b.yaml': CI, 's.yaml': 'kind: Secret\nname: app\nbackend: ci\n'})
    expect(problems[0]).toMatchObject({file: 's.yaml', message: expect.stringMatching(/cannot list a secret's keys: name them under refs/)})
    const badName = await problemsOf({'b.yaml': CI, 's.yaml': 'kind: Secret\nname: app\nbackend: ci\nrefs: {K: 9bad}\n'})
    expect(badName[0]).toMatchObject({field: 'refs.K', message: expect.stringMatching(/environment variable name/)})
  })

  it('the schema checks key names and ref types', async () => {
    const problems = await problemsOf({'b.yaml': OP, 's.yaml': 'kind: Secret\nname: a\nbackend: op\nrefs:\n  9bad: op://a/b/c\n  K: 3\n'})
    expect(problems.map((p) => p.field).sort()).toEqual(['refs.9bad', 'refs.K'])
  })
})
