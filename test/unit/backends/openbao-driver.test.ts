/**
 * The OpenBao driver's KV v2 behaviour against the OpenBao test server: round trips, versions,
 * check-and-set, missing versus soft-deleted versus forbidden (a 403 is never "missing"), an
 * unknown mount, non-string values, path encoding, and the trust-root token read once.
 * Transport behaviour (retries, timeouts, the in-flight bound, health) is in openbao-transport.
 */
import {describe, it, expect, beforeAll, afterAll, beforeEach} from 'vitest'
import {startOpenBaoTestServer, type OpenBaoTestServer} from '../../support/openbao/index.js'
import {OpenBaoDriver, createOpenBaoDriver} from '../../../src/backends/openbao/openbao-driver.js'
import type {DriverContext} from '../../../src/backends/driver.js'
import {BackendError} from '../../../src/errors.js'
import {failure, prefixOf} from './driver-assertions.js'

let server: OpenBaoTestServer
beforeAll(async () => {
  server = await startOpenBaoTestServer()
})
afterAll(async () => server?.close())
beforeEach(() => server.faults.clear())

let n = 0
function context(token: string | (() => Promise<string>), config: Record<string, unknown> = {}): DriverContext {
  return {
    backend: {
      id: 1,
      name: 'bao',
      type: 'openbao',
      description: null,
      isDefault: false,
      config: {url: server.url, tokenSecretRef: {name: 'bao-creds', key: 'token'}, mount: 'secret', pathPrefix: `kv${++n}`, ...config},
      rotation: null,
      tokenMeta: null,
      createdAt: '',
      updatedAt: '',
    },
    state: {} as never,
    readTrustRoot: typeof token === 'string' ? async () => token : token,
    concurrency: 8,
    env: {},
  }
}

function driver(token: string, config: Record<string, unknown> = {}): OpenBaoDriver {
  return new OpenBaoDriver(context(token, config), {minRetryMs: 1, maxRetryMs: 5})
}

describe('openbao driver: KV v2', () => {
  it('is built by the registered factory with the documented capabilities', () => {
    const d = createOpenBaoDriver(context(server.rootToken, {pathPrefix: 'secretctl'}))
    expect(d.type).toBe('openbao')
    expect(d.capabilities).toEqual({readOnly: false, versioned: true, storesInState: false, rotatableToken: true, listable: true})
    expect(d.refFor('github')).toBe('secret/secretctl/github')
  })

  it('writes, reads, versions, lists and deletes every version', async () => {
    const d = driver(server.rootToken)
    expect(await d.metadata('a')).toEqual({exists: false, version: null})
    expect(await d.read('a')).toBeUndefined()
    expect(await d.list()).toEqual([])

    const w1 = await d.write('a', {K: 'v1'}, {ifVersion: null})
    expect(w1).toEqual({externalRef: `secret/${prefixOf(d)}/a`, version: '1', rowData: null})
    expect(await d.write('a', {K: 'v2', L: 'x'}, {ifVersion: '1'})).toMatchObject({version: '2'})
    expect(await d.write('a', {K: 'v3'})).toMatchObject({version: '3'})
    expect(await d.read('a')).toEqual({K: 'v3'})
    expect(await d.metadata('a')).toEqual({exists: true, version: '3'})

    await d.write('b', {K: 'x'})
    server.writeKv('secret', `${prefixOf(d)}/folder/inner`, {K: 'y'})
    expect(await d.list()).toEqual(['a', 'b'])

    await d.delete('a')
    expect(await d.metadata('a')).toEqual({exists: false, version: null})
    expect(server.readKv('secret', `${prefixOf(d)}/a`)).toBeUndefined()
    await d.delete('a') // already gone: fine
    expect(await d.list()).toEqual(['b'])
  })

  it('sends the documented KV v2 requests', async () => {
    const d = driver(server.rootToken)
    const prefix = prefixOf(d)
    const start = server.log.length
    await d.write('req', {K: 'v'}, {ifVersion: null})
    await d.read('req')
    await d.metadata('req')
    await d.list()
    await d.delete('req')
    expect(server.log.slice(start).map((e) => `${e.method} ${e.path}${e.query.list ? '?list=' + e.query.list : ''} ${e.status}`)).toEqual([
      `POST /v1/secret/data/${prefix}/req 200`,
      `GET /v1/secret/data/${prefix}/req 200`,
      `GET /v1/secret/metadata/${prefix}/req 200`,
      `GET /v1/secret/metadata/${prefix}?list=true 200`,
      `DELETE /v1/secret/metadata/${prefix}/req 204`,
    ])
  })

  it('an empty pathPrefix leaves no double slash; each segment is URL-encoded', async () => {
    server.enableKv('flat')
    const d = driver(server.rootToken, {mount: 'flat', pathPrefix: ''})
    expect(d.refFor('a')).toBe('flat/a')
    const start = server.log.length
    await d.write('a b', {K: 'v'})
    await d.write('c?d#e', {K: 'w'})
    // The log holds the decoded path (as Go's r.URL.Path): `?` and `#` arrived inside the path, not as a query or fragment.
    expect(server.log.slice(start).map((e) => [e.path, e.query])).toEqual([
      ['/v1/flat/data/a b', {}],
      ['/v1/flat/data/c?d#e', {}],
    ])
    expect(await d.read('a b')).toEqual({K: 'v'})
    expect(await d.read('c?d#e')).toEqual({K: 'w'})
    expect(await d.list()).toEqual(['a b', 'c?d#e'])
    expect(server.readKv('flat', 'c?d#e')?.data).toEqual({K: 'w'})
  })

  it('a check-and-set mismatch is a clear error and overwrites nothing', async () => {
    const d = driver(server.rootToken)
    await d.write('c', {K: 'one'}, {ifVersion: null})
    server.writeKv('secret', `${prefixOf(d)}/c`, {K: 'outside'})
    const start = server.log.length
    const err = await failure(d.write('c', {K: 'mine'}, {ifVersion: '1'}))
    expect(err.message).toBe(
      `backend bao: the secret at secret/data/${prefixOf(d)}/c changed on the server since secretctl last wrote it (check-and-set expected version 1); run secretctl plan to see the drift`,
    )
    expect(err.status).toBe(400)
    expect(err.forbidden).toBe(false)
    expect(server.log.slice(start)).toHaveLength(1) // a first-attempt mismatch is final
    expect(await d.read('c')).toEqual({K: 'outside'})
    // cas 0: must not exist yet
    await expect(d.write('c', {K: 'x'}, {ifVersion: null})).rejects.toThrow(/check-and-set expected version 0/)
  })

  it('missing and soft-deleted read as undefined; metadata still reports the soft-deleted version', async () => {
    const d = driver(server.rootToken)
    expect(await d.read('never')).toBeUndefined()
    await d.write('s', {K: 'v1'})
    await d.write('s', {K: 'v2'})
    const del = await fetch(`${server.url}/v1/secret/data/${prefixOf(d)}/s`, {
      method: 'DELETE',
      headers: {'X-Vault-Token': server.rootToken},
    })
    expect(del.status).toBe(204)
    expect(await d.read('s')).toBeUndefined()
    // The secret still exists at version 2 (soft-deleted): plan's version compare flags the drift.
    expect(await d.metadata('s')).toEqual({exists: true, version: '2'})
    const destroy = await fetch(`${server.url}/v1/secret/destroy/${prefixOf(d)}/s`, {
      method: 'POST',
      headers: {'X-Vault-Token': server.rootToken},
      body: JSON.stringify({versions: [2]}),
    })
    expect(destroy.status).toBe(204)
    expect(await d.read('s')).toBeUndefined()
    expect(await d.metadata('s')).toEqual({exists: true, version: '2'})
    // Writing again over the soft-deleted version with the version the state knows works.
    expect(await d.write('s', {K: 'v3'}, {ifVersion: '2'})).toMatchObject({version: '3'})
  })

  it('refuses a non-string value, naming the key and never the value', async () => {
    const d = driver(server.rootToken)
    server.writeKv('secret', `${prefixOf(d)}/typed`, {PORT: 5432, NAME: 'db-canary-value'})
    const err = await failure(d.read('typed'))
    expect(err.message).toMatch(/holds a non-string value under key PORT; secretctl stores only string values/)
    expect(err.message).not.toMatch(/5432|db-canary-value/)
  })

  it('an unknown mount is an error saying so, never a missing secret', async () => {
    const d = driver(server.rootToken, {mount: 'nosuchmount'})
    for (const op of [
      () => d.read('x'),
      () => d.metadata('x'),
      () => d.list(),
      () => d.write('x', {K: 'v'}, {ifVersion: null}),
      () => d.delete('x'),
    ]) {
      const err = await failure(op())
      expect(err.message).toMatch(/the mount nosuchmount\/ does not exist .*enable a KV v2 engine at mount nosuchmount/)
      expect(err.status).toBe(404)
    }
  })

  it('a KV version 1 mount is refused', async () => {
    server.enableKv('old', {version: '1'})
    const d = driver(server.rootToken, {mount: 'old'})
    await expect(d.write('x', {K: 'v'})).rejects.toThrow(/like a KV version 1 engine; secretctl needs KV v2/)
  })

  it('reads the token from the trust root once per driver, and again after a failed read', async () => {
    let reads = 0
    let fail = true
    const d = new OpenBaoDriver(
      context(async () => {
        reads++
        if (fail) throw new BackendError('bao', 'its token secret bao-creds is not in the state')
        return `${server.rootToken}\n` // a trailing newline from a file is trimmed
      }),
    )
    await expect(d.read('t')).rejects.toThrow(/not in the state/)
    fail = false
    await Promise.all([d.write('t', {K: 'v'}), d.read('t'), d.metadata('t'), d.list()])
    await d.read('t')
    expect(reads).toBe(2)
    expect(server.log.at(-1)?.tokenAccessor).not.toBeNull()
  })
})

describe('openbao driver: 403 is forbidden, never missing', () => {
  it('a token whose policy refuses: every operation throws forbidden, naming the operation and path', async () => {
    server.putPolicy('nothing', 'path "sys/nothing" { capabilities = ["read"] }')
    const {token} = server.createToken({policies: ['nothing']})
    const d = driver(token)
    const p = prefixOf(d)
    const cases: [() => Promise<unknown>, string][] = [
      [() => d.metadata('github'), `permission denied reading metadata at secret/metadata/${p}/github (check the token's policy)`],
      [() => d.read('github'), `permission denied reading secret/data/${p}/github (check the token's policy)`],
      [
        () => d.write('github', {K: 'v'}, {ifVersion: null}),
        `permission denied writing secret/data/${p}/github (check the token's policy)`,
      ],
      [() => d.write('github', {K: 'v'}), `permission denied writing secret/data/${p}/github (check the token's policy)`],
      [() => d.list(), `permission denied listing secret/metadata/${p} (check the token's policy)`],
      [() => d.delete('github'), `permission denied deleting secret/metadata/${p}/github (check the token's policy)`],
    ]
    for (const [op, message] of cases) {
      const outcome = await op().then(
        (value) => ({value}),
        (err: unknown) => ({err}),
      )
      expect(outcome).not.toHaveProperty('value') // not undefined, not {exists: false}, not []
      const err = (outcome as {err: BackendError}).err
      expect(err).toBeInstanceOf(BackendError)
      expect(err.forbidden).toBe(true)
      expect(err.status).toBe(403)
      expect(err.message).toBe(`backend bao: ${message}`)
      expect(err.message).not.toContain(token)
    }
  })

  it('an expired or revoked token says so', async () => {
    server.putPolicy('kv-all', 'path "secret/*" { capabilities = ["create", "read", "update", "delete", "list"] }')
    const {token} = server.createToken({policies: ['kv-all']})
    const d = driver(token)
    await d.write('r', {K: 'v'})
    server.revokeToken(token)
    const err = await failure(d.metadata('r'))
    expect(err.forbidden).toBe(true)
    expect(err.message).toMatch(
      /permission denied reading metadata at secret\/metadata\/kv\d+\/r \(the token is unknown, expired or revoked\)/,
    )
  })

  it("mcpctl's narrow policy (data read, no metadata read): metadata answers from the data path", async () => {
    const d = driver(server.rootToken)
    const p = prefixOf(d)
    server.putPolicy(
      `${p}-narrow`,
      `path "secret/data/${p}/*" { capabilities = ["create", "read", "update"] }\npath "secret/metadata/${p}/*" { capabilities = ["list", "delete"] }\n`,
    )
    const {token} = server.createToken({policies: [`${p}-narrow`]})
    const narrow = driver(token, {pathPrefix: p})
    expect(await narrow.metadata('m')).toEqual({exists: false, version: null})
    await narrow.write('m', {K: 'v'}, {ifVersion: null})
    await narrow.write('m', {K: 'w'}, {ifVersion: '1'})
    expect(await narrow.metadata('m')).toEqual({exists: true, version: '2'})
  })

  it('a planner policy (metadata only) plans without reading any value, and cannot read one', async () => {
    const d = driver(server.rootToken)
    const p = prefixOf(d)
    await d.write('plan', {K: 'v'})
    server.putPolicy(
      `${p}-planner`,
      `path "secret/metadata/${p}/*" { capabilities = ["read", "list"] }\npath "secret/metadata/${p}" { capabilities = ["list"] }\n`,
    )
    const {token} = server.createToken({policies: [`${p}-planner`]})
    const planner = driver(token, {pathPrefix: p})
    const start = server.log.length
    expect(await planner.metadata('plan')).toEqual({exists: true, version: '1'})
    expect(await planner.metadata('absent')).toEqual({exists: false, version: null})
    expect(await planner.list()).toEqual(['plan'])
    expect(server.log.slice(start).filter((e) => e.readSecretData)).toEqual([])
    expect((await failure(planner.read('plan'))).forbidden).toBe(true)
  })
})
