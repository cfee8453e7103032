import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {Acl} from '../../support/openbao/acl.js'
import {parseHcl} from '../../support/openbao/hcl.js'
import {startOpenBaoTestServer, type OpenBaoTestServer} from '../../support/openbao/index.js'
import {parsePolicy, PolicyParseError} from '../../support/openbao/policy.js'
import {api, POLICY_DENIED, TOKEN_DENIED} from './helpers.js'

function acl(...texts: string[]): Acl {
  return new Acl(texts.map((t, i) => parsePolicy(`p${i}`, t)))
}

describe('HCL policy reader', () => {
  it('reads path blocks with every comment style, trailing commas and the old policy field', () => {
    const p = parsePolicy(
      'x',
      `# hash comment
       // slash comment
       /* block
          comment */
       path "secret/data/app/*" {
         capabilities = ["create", "read",
                         "update",]   # trailing comma
       }
       path "/secret/metadata/app" { policy = "read" }
       path "secret/+/team/+" { capabilities = ["deny", "read"] }`,
    )
    expect(p.paths).toEqual([
      {path: 'secret/data/app/', isPrefix: true, hasSegmentWildcards: false, capabilities: 2 | 4 | 8},
      {path: 'secret/metadata/app', isPrefix: false, hasSegmentWildcards: false, capabilities: 4 | 32},
      {path: 'secret/+/team/+', isPrefix: false, hasSegmentWildcards: true, capabilities: 1},
    ])
  })

  it('reads JSON policies and the `path = { ... }` spelling', () => {
    const json = parsePolicy('j', JSON.stringify({path: {'secret/*': {capabilities: ['list']}}}))
    const assigned = parsePolicy('a', 'path = { "kv/*" = { capabilities = ["read"] } }')
    expect(json.paths[0]).toMatchObject({path: 'secret/', isPrefix: true, capabilities: 32})
    expect(assigned.paths[0]).toMatchObject({path: 'kv/', capabilities: 4})
  })

  it('refuses unknown capabilities, unknown keys, `+*` and syntax errors', () => {
    expect(() => parsePolicy('x', 'path "a" { capabilities = ["fly"] }')).toThrow('path "a": invalid capability "fly"')
    expect(() => parsePolicy('x', 'path "a" { capability = ["read"] }')).toThrow(/invalid key "capability"/)
    expect(() => parsePolicy('x', 'paths "a" { }')).toThrow(/invalid key "paths"/)
    expect(() => parsePolicy('x', 'path "a/+*" { capabilities = ["read"] }')).toThrow(/'\+\*' is forbidden/)
    expect(() => parsePolicy('x', 'path "a" { capabilities = ["read" }')).toThrow(PolicyParseError)
    expect(() => parseHcl('path "unterminated { }')).toThrow(/literal not terminated/)
  })
})

describe('ACL matching (vault/acl.go)', () => {
  it('lets an exact rule win over any glob', () => {
    const a = acl('path "secret/data/*" { capabilities = ["deny"] }', 'path "secret/data/app" { capabilities = ["read"] }')
    expect(a.allowOperation('secret/data/app', 'read').allowed).toBe(true)
    expect(a.allowOperation('secret/data/other', 'read').allowed).toBe(false)
  })

  it('picks the longest `*` prefix', () => {
    const a = acl('path "secret/*" { capabilities = ["read"] }', 'path "secret/data/locked/*" { capabilities = ["deny"] }')
    expect(a.allowOperation('secret/data/open', 'read').allowed).toBe(true)
    expect(a.allowOperation('secret/data/locked/x', 'read').allowed).toBe(false)
  })

  it('matches `+` as exactly one segment', () => {
    const a = acl('path "secret/data/+/config" { capabilities = ["read"] }')
    expect(a.allowOperation('secret/data/team/config', 'read').allowed).toBe(true)
    expect(a.allowOperation('secret/data/a/b/config', 'read').allowed).toBe(false)
    expect(a.allowOperation('secret/data/team/config/x', 'read').allowed).toBe(false)
  })

  it('orders competing patterns: later first wildcard, then not-a-prefix, then fewer `+`, then longer', () => {
    // foo/bar/+ (wildcard at 8) beats foo/+/baz (wildcard at 4)
    expect(
      acl('path "foo/+/baz" { capabilities = ["deny"] }', 'path "foo/bar/+" { capabilities = ["read"] }').allowOperation(
        'foo/bar/baz',
        'read',
      ).allowed,
    ).toBe(true)
    // foo/+ (not a prefix) beats foo/* at the same position
    expect(
      acl('path "foo/*" { capabilities = ["deny"] }', 'path "foo/+" { capabilities = ["read"] }').allowOperation('foo/x', 'read').allowed,
    ).toBe(true)
    // fewer + wins: foo/bar/+/baz beats foo/+/+/baz? (first wildcard differs) — same first position: foo/+/x/+ vs foo/+/+/+
    expect(
      acl('path "foo/+/+/+" { capabilities = ["deny"] }', 'path "foo/+/x/+" { capabilities = ["read"] }').allowOperation(
        'foo/a/x/b',
        'read',
      ).allowed,
    ).toBe(true)
    // longer wins: foo/+/bar/ba* beats foo/+/bar/b*
    expect(
      acl('path "foo/+/bar/b*" { capabilities = ["deny"] }', 'path "foo/+/bar/ba*" { capabilities = ["read"] }').allowOperation(
        'foo/a/bar/baz',
        'read',
      ).allowed,
    ).toBe(true)
    // a plain prefix competes with segment patterns by its length
    expect(
      acl('path "secret/data/*" { capabilities = ["read"] }', 'path "secret/+/app" { capabilities = ["deny"] }').allowOperation(
        'secret/data/app',
        'read',
      ).allowed,
    ).toBe(true)
  })

  it('lets deny win when several policies name the same path', () => {
    const a = acl('path "secret/data/x" { capabilities = ["read", "update"] }', 'path "secret/data/x" { capabilities = ["deny"] }')
    expect(a.allowOperation('secret/data/x', 'read').allowed).toBe(false)
    const union = acl('path "secret/data/x" { capabilities = ["read"] }', 'path "secret/data/x" { capabilities = ["update"] }')
    expect(union.allowOperation('secret/data/x', 'update').allowed).toBe(true)
    expect(union.capabilities('secret/data/x')).toEqual(['read', 'update'])
  })

  it('checks a list without its trailing slash first', () => {
    const a = acl('path "secret/metadata/app" { capabilities = ["list"] }')
    expect(a.allowOperation('secret/metadata/app/', 'list').allowed).toBe(true)
    expect(a.allowOperation('secret/metadata/app/', 'read').allowed).toBe(false)
  })
})

describe('OpenBao test server: policies enforced over HTTP', () => {
  let bao: OpenBaoTestServer
  beforeAll(async () => {
    bao = await startOpenBaoTestServer()
    await api(bao, 'POST', 'secret/data/app/existing', {body: {data: {v: '1'}}})
    await api(bao, 'POST', 'secret/data/other/x', {body: {data: {v: '1'}}})
  })
  afterAll(async () => {
    await bao.close()
  })

  it('manages policies at sys/policies/acl and the legacy sys/policy', async () => {
    const hcl = 'path "secret/data/app/*" { capabilities = ["read"] }'
    expect((await api(bao, 'PUT', 'sys/policies/acl/Reader', {body: {policy: hcl}})).status).toBe(204)
    const read = await api(bao, 'GET', 'sys/policies/acl/reader')
    expect(read.json.data).toMatchObject({name: 'reader', policy: hcl, version: 1})
    expect((await api(bao, 'LIST', 'sys/policies/acl')).json.data.keys).toEqual(['default', 'reader', 'root'])

    expect((await api(bao, 'PUT', 'sys/policy/legacy', {body: {rules: hcl}})).status).toBe(204)
    const legacy = await api(bao, 'GET', 'sys/policy/legacy')
    expect(legacy.json.rules).toBe(hcl)
    expect(legacy.json.data).toEqual({name: 'legacy', rules: hcl})
    expect((await api(bao, 'GET', 'sys/policy')).json.policies).toContain('legacy')
    const b64 = Buffer.from(hcl).toString('base64')
    expect((await api(bao, 'PUT', 'sys/policies/acl/b64', {body: {policy: b64}})).status).toBe(204)
    expect((await api(bao, 'GET', 'sys/policies/acl/b64')).json.data.policy).toBe(hcl)

    expect((await api(bao, 'PUT', 'sys/policies/acl/empty', {body: {policy: ''}})).json).toEqual({
      errors: ["'policy' parameter not supplied or empty"],
    })
    const bad = await api(bao, 'PUT', 'sys/policies/acl/bad', {body: {policy: 'path "x" { capabilities = ["fly"] }'}})
    expect(bad.status).toBe(400)
    expect(bad.json.errors[0]).toBe('failed to parse policy: path "x": invalid capability "fly"')
    expect((await api(bao, 'PUT', 'sys/policies/acl/root', {body: {policy: hcl}})).json).toEqual({errors: ['cannot update "root" policy']})
    expect((await api(bao, 'DELETE', 'sys/policies/acl/default')).json).toEqual({errors: ['cannot delete "default" policy']})
    expect((await api(bao, 'DELETE', 'sys/policies/acl/legacy')).status).toBe(204)
    expect((await api(bao, 'GET', 'sys/policies/acl/legacy')).status).toBe(404)
  })

  it('sends the two different 403 bodies', async () => {
    const {token} = bao.createToken({policies: []})
    const refused = await api(bao, 'GET', 'secret/data/app/existing', {token})
    expect(refused.status).toBe(403)
    expect(refused.json).toEqual(POLICY_DENIED)
    const unknown = await api(bao, 'GET', 'secret/data/app/existing', {token: 's.doesnotexist'})
    expect(unknown.status).toBe(403)
    expect(unknown.json).toEqual(TOKEN_DENIED)
    const none = await api(bao, 'GET', 'secret/data/app/existing', {token: null})
    expect(none.json).toEqual(TOKEN_DENIED)
  })

  it('decides create vs update by whether the key exists', async () => {
    bao.putPolicy('creator', 'path "secret/data/app/*" { capabilities = ["create"] }')
    bao.putPolicy('updater', 'path "secret/data/app/*" { capabilities = ["update"] }')
    const creator = bao.createToken({policies: ['creator']}).token
    const updater = bao.createToken({policies: ['updater']}).token
    expect((await api(bao, 'POST', 'secret/data/app/new-one', {token: creator, body: {data: {v: '1'}}})).status).toBe(200)
    expect((await api(bao, 'POST', 'secret/data/app/existing', {token: creator, body: {data: {v: '2'}}})).json).toEqual(POLICY_DENIED)
    expect((await api(bao, 'POST', 'secret/data/app/existing', {token: updater, body: {data: {v: '2'}}})).status).toBe(200)
    expect((await api(bao, 'POST', 'secret/data/app/brand-new', {token: updater, body: {data: {v: '1'}}})).json).toEqual(POLICY_DENIED)
  })

  it('needs list on the metadata path to list, and read on data to read', async () => {
    bao.putPolicy(
      'lister',
      'path "secret/metadata/app/*" { capabilities = ["list"] }\npath "secret/metadata/app" { capabilities = ["list"] }',
    )
    const token = bao.createToken({policies: ['lister']}).token
    expect((await api(bao, 'LIST', 'secret/metadata/app', {token})).json.data.keys).toContain('existing')
    expect((await api(bao, 'LIST', 'secret/metadata/other', {token})).json).toEqual(POLICY_DENIED)
    expect((await api(bao, 'GET', 'secret/data/app/existing', {token})).json).toEqual(POLICY_DENIED)
  })

  it('applies globs and the most specific match to live requests', async () => {
    bao.putPolicy(
      'globs',
      [
        'path "secret/data/*" { capabilities = ["read"] }',
        'path "secret/data/other/*" { capabilities = ["deny"] }',
        'path "secret/data/+/existing" { capabilities = ["read"] }',
      ].join('\n'),
    )
    const token = bao.createToken({policies: ['globs']}).token
    expect((await api(bao, 'GET', 'secret/data/app/existing', {token})).status).toBe(200)
    expect((await api(bao, 'GET', 'secret/data/other/x', {token})).json).toEqual(POLICY_DENIED)
  })

  it('attaches the default policy (lookup-self, capabilities-self) and root allows everything', async () => {
    const token = bao.createToken({policies: []}).token
    expect((await api(bao, 'GET', 'auth/token/lookup-self', {token})).status).toBe(200)
    const caps = await api(bao, 'POST', 'sys/capabilities-self', {token, body: {paths: ['secret/data/app/existing']}})
    expect(caps.json.data.capabilities).toEqual(['deny'])
    expect(caps.json.capabilities).toEqual(['deny'])
    const noDefault = bao.createToken({policies: [], noDefaultPolicy: true}).token
    expect((await api(bao, 'GET', 'auth/token/lookup-self', {token: noDefault})).json).toEqual(POLICY_DENIED)
    expect((await api(bao, 'POST', 'sys/capabilities-self', {body: {path: 'anything'}})).json.data.capabilities).toEqual(['root'])
  })

  it('requires sudo on root-protected paths', async () => {
    bao.putPolicy('acc', 'path "auth/token/accessors" { capabilities = ["list"] }')
    const plain = bao.createToken({policies: ['acc']}).token
    expect((await api(bao, 'LIST', 'auth/token/accessors', {token: plain})).json).toEqual(POLICY_DENIED)
    bao.putPolicy('acc-sudo', 'path "auth/token/accessors" { capabilities = ["list", "sudo"] }')
    const sudo = bao.createToken({policies: ['acc-sudo']}).token
    expect((await api(bao, 'LIST', 'auth/token/accessors', {token: sudo})).status).toBe(200)
  })
})
