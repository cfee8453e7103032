import {afterAll, beforeEach, describe, expect, it} from 'vitest'
import {createTestClock, startOpenBaoTestServer, type OpenBaoTestServer} from '../../support/openbao/index.js'
import {api} from './helpers.js'

describe('OpenBao test server: KV v2', () => {
  let bao: OpenBaoTestServer
  beforeEach(async () => {
    await bao?.close()
    bao = await startOpenBaoTestServer({clock: createTestClock({frozenAt: Date.parse('2025-03-01T10:00:00Z')})})
  })
  afterAll(async () => {
    await bao.close()
  })

  it('writes and reads versions with OpenBao’s envelope and metadata', async () => {
    const w1 = await api(bao, 'POST', 'secret/data/app/db', {body: {data: {user: 'u', password: 'p1'}}})
    expect(w1.status).toBe(200)
    expect(w1.headers.get('content-type')).toBe('application/json')
    expect(Object.keys(w1.json)).toEqual(['request_id', 'lease_id', 'renewable', 'lease_duration', 'data', 'wrap_info', 'warnings', 'auth'])
    expect(w1.json.data).toEqual({
      created_time: '2025-03-01T10:00:00Z',
      custom_metadata: null,
      deletion_time: '',
      destroyed: false,
      version: 1,
    })
    bao.clock.advance(1500)
    const w2 = await api(bao, 'PUT', 'secret/data/app/db', {body: {data: {user: 'u', password: 'p2'}}})
    expect(w2.json.data.version).toBe(2)
    expect(w2.json.data.created_time).toBe('2025-03-01T10:00:01.5Z')

    const latest = await api(bao, 'GET', 'secret/data/app/db')
    expect(latest.json.data.data).toEqual({user: 'u', password: 'p2'})
    expect(latest.json.data.metadata.version).toBe(2)
    const v1 = await api(bao, 'GET', 'secret/data/app/db?version=1')
    expect(v1.json.data.data.password).toBe('p1')
    const missingVersion = await api(bao, 'GET', 'secret/data/app/db?version=9')
    expect(missingVersion.status).toBe(404)
    expect(missingVersion.json).toEqual({errors: []})
  })

  it('gives distinct created_time values to writes within the same instant', async () => {
    const a = await api(bao, 'POST', 'secret/data/k', {body: {data: {v: '1'}}})
    const b = await api(bao, 'POST', 'secret/data/k', {body: {data: {v: '2'}}})
    expect(a.json.data.created_time).not.toBe(b.json.data.created_time)
    expect(b.json.data.created_time).toMatch(/^2025-03-01T10:00:00\.000000001Z$/)
  })

  it('returns 404 {"errors":[]} for a missing key', async () => {
    const res = await api(bao, 'GET', 'secret/data/nope')
    expect(res.status).toBe(404)
    expect(res.json).toEqual({errors: []})
  })

  it('enforces check-and-set with OpenBao’s 400 messages', async () => {
    expect((await api(bao, 'POST', 'secret/data/c', {body: {options: {cas: 0}, data: {a: '1'}}})).status).toBe(200)
    const again = await api(bao, 'POST', 'secret/data/c', {body: {options: {cas: 0}, data: {a: '2'}}})
    expect(again.status).toBe(400)
    expect(again.json).toEqual({errors: ['check-and-set parameter did not match the current version']})
    expect((await api(bao, 'POST', 'secret/data/c', {body: {options: {cas: 1}, data: {a: '2'}}})).json.data.version).toBe(2)

    await api(bao, 'POST', 'secret/config', {body: {cas_required: true}})
    const noCas = await api(bao, 'POST', 'secret/data/c', {body: {data: {a: '3'}}})
    expect(noCas.status).toBe(400)
    expect(noCas.json).toEqual({errors: ['check-and-set parameter required for this call']})
    const noData = await api(bao, 'POST', 'secret/data/c', {body: {options: {cas: 2}}})
    expect(noData.json).toEqual({errors: ['no data provided']})
  })

  it('honours cas_required set on one key’s metadata', async () => {
    await api(bao, 'POST', 'secret/metadata/guarded', {body: {cas_required: true}})
    const res = await api(bao, 'POST', 'secret/data/guarded', {body: {data: {a: '1'}}})
    expect(res.json).toEqual({errors: ['check-and-set parameter required for this call']})
    expect((await api(bao, 'POST', 'secret/data/guarded', {body: {options: {cas: 0}, data: {a: '1'}}})).status).toBe(200)
  })

  it('soft-deletes the latest version: 404 with the normal success body, then undelete', async () => {
    await api(bao, 'POST', 'secret/data/s', {body: {data: {a: '1'}}})
    const del = await api(bao, 'DELETE', 'secret/data/s')
    expect(del.status).toBe(204)
    expect(del.text).toBe('')
    const read = await api(bao, 'GET', 'secret/data/s')
    expect(read.status).toBe(404)
    expect(read.json.errors).toBeUndefined()
    expect(read.json.data.data).toBeNull()
    expect(read.json.data.metadata).toMatchObject({version: 1, destroyed: false, deletion_time: '2025-03-01T10:00:00Z'})
    expect(read.json.request_id).toMatch(/^[0-9a-f-]{36}$/)

    expect((await api(bao, 'POST', 'secret/undelete/s', {body: {versions: [1]}})).status).toBe(204)
    expect((await api(bao, 'GET', 'secret/data/s')).json.data.data).toEqual({a: '1'})
  })

  it('deletes and destroys given versions; an empty version list is a 400', async () => {
    await api(bao, 'POST', 'secret/data/d', {body: {data: {a: '1'}}})
    await api(bao, 'POST', 'secret/data/d', {body: {data: {a: '2'}}})
    expect((await api(bao, 'POST', 'secret/delete/d', {body: {versions: [1]}})).status).toBe(204)
    expect((await api(bao, 'GET', 'secret/data/d?version=1')).status).toBe(404)
    expect((await api(bao, 'POST', 'secret/destroy/d', {body: {versions: [2]}})).status).toBe(204)
    const destroyed = await api(bao, 'GET', 'secret/data/d')
    expect(destroyed.status).toBe(404)
    expect(destroyed.json.data.metadata.destroyed).toBe(true)
    expect(bao.readKv('secret', 'd')).toMatchObject({data: null, destroyed: true, version: 2})
    expect((await api(bao, 'POST', 'secret/destroy/d', {body: {versions: []}})).json).toEqual({errors: ['no version number provided']})
    expect((await api(bao, 'POST', 'secret/delete/d', {body: {}})).json).toEqual({errors: ['No version number provided']})
  })

  it('reads, writes, patches and deletes metadata (custom metadata included)', async () => {
    await api(bao, 'POST', 'secret/data/m', {body: {data: {a: '1'}}})
    const write = await api(bao, 'POST', 'secret/metadata/m', {body: {max_versions: 5, custom_metadata: {owner: 'team-a', tier: 'gold'}}})
    expect(write.status).toBe(204)
    const patch = await api(bao, 'PATCH', 'secret/metadata/m', {
      body: {custom_metadata: {tier: null, env: 'prod'}},
      headers: {'Content-Type': 'application/merge-patch+json'},
    })
    expect(patch.status).toBe(204)
    const meta = await api(bao, 'GET', 'secret/metadata/m')
    expect(meta.json.data).toEqual({
      cas_required: false,
      created_time: '2025-03-01T10:00:00Z',
      current_version: 1,
      custom_metadata: {env: 'prod', owner: 'team-a'},
      delete_version_after: '0s',
      max_versions: 5,
      oldest_version: 0,
      updated_time: '2025-03-01T10:00:00Z',
      versions: {'1': {created_time: '2025-03-01T10:00:00Z', deletion_time: '', destroyed: false}},
    })
    expect((await api(bao, 'GET', 'secret/data/m')).json.data.metadata.custom_metadata).toEqual({env: 'prod', owner: 'team-a'})
    expect((await api(bao, 'DELETE', 'secret/metadata/m')).status).toBe(204)
    expect((await api(bao, 'GET', 'secret/metadata/m')).status).toBe(404)
    expect((await api(bao, 'GET', 'secret/data/m')).status).toBe(404)
    expect(bao.readKv('secret', 'm')).toBeUndefined()
  })

  it('patches data with merge-patch; other content types get 415, none 400', async () => {
    await api(bao, 'POST', 'secret/data/p', {body: {data: {a: '1', b: '2'}}})
    const merge = {'Content-Type': 'application/merge-patch+json'}
    const patched = await api(bao, 'PATCH', 'secret/data/p', {body: {data: {b: null, c: '3'}}, headers: merge})
    expect(patched.status).toBe(200)
    expect(patched.json.data.version).toBe(2)
    expect((await api(bao, 'GET', 'secret/data/p')).json.data.data).toEqual({a: '1', c: '3'})
    const wrongType = await api(bao, 'PATCH', 'secret/data/p', {body: {data: {}}, headers: {'Content-Type': 'application/json'}})
    expect(wrongType.status).toBe(415)
    expect(wrongType.json).toEqual({errors: ['PATCH requires Content-Type of application/merge-patch+json, provided application/json']})
    const missing = await api(bao, 'PATCH', 'secret/data/absent', {body: {data: {a: '1'}}, headers: merge})
    expect(missing.status).toBe(404)
    expect(missing.text).toBe('')
  })

  it('lists keys both ways; an empty or missing folder is 404 {"errors":[]}', async () => {
    for (const key of ['team/a', 'team/b', 'team/sub/c', 'solo']) await api(bao, 'POST', `secret/data/${key}`, {body: {data: {x: '1'}}})
    expect((await api(bao, 'LIST', 'secret/metadata/')).json.data.keys).toEqual(['solo', 'team/'])
    expect((await api(bao, 'GET', 'secret/metadata/team?list=true')).json.data.keys).toEqual(['a', 'b', 'sub/'])
    expect((await api(bao, 'LIST', 'secret/metadata/team?after=a&limit=1')).json.data.keys).toEqual(['b'])
    const empty = await api(bao, 'LIST', 'secret/metadata/nothing-here')
    expect(empty.status).toBe(404)
    expect(empty.json).toEqual({errors: []})
  })

  it('trims versions past max_versions (mount config) and reports oldest_version', async () => {
    await api(bao, 'POST', 'secret/config', {body: {max_versions: 2}})
    expect((await api(bao, 'GET', 'secret/config')).json.data).toEqual({
      cas_required: false,
      delete_version_after: '0s',
      max_versions: 2,
      metadata_cas_required: false,
    })
    for (let i = 1; i <= 4; i++) await api(bao, 'POST', 'secret/data/t', {body: {data: {i: String(i)}}})
    const meta = await api(bao, 'GET', 'secret/metadata/t')
    expect(Object.keys(meta.json.data.versions)).toEqual(['3', '4'])
    expect(meta.json.data.oldest_version).toBe(3)
    expect((await api(bao, 'GET', 'secret/data/t?version=1')).status).toBe(404)
  })

  it('answers invalid KV paths with 404 and a warning, unsupported operations with 405', async () => {
    const invalid = await api(bao, 'GET', 'secret/app')
    expect(invalid.status).toBe(404)
    expect(invalid.json.warnings[0]).toMatch(/^Invalid path for a versioned K\/V secrets engine/)
    const unsupported = await api(bao, 'LIST', 'secret/data/app/')
    expect(unsupported.status).toBe(405)
    expect(unsupported.json).toEqual({errors: ['1 error occurred:\n\t* unsupported operation\n\n']})
  })

  it('serves KV v2 at any enabled mount and starts empty without dev mounts', async () => {
    const empty = await startOpenBaoTestServer({devMounts: false})
    try {
      const noMount = await api(empty, 'GET', 'secret/data/x')
      expect(noMount.status).toBe(404)
      expect(noMount.json).toEqual({errors: ['no handler for route "secret/data/x". route entry not found.']})
      expect((await api(empty, 'POST', 'sys/mounts/kv2', {body: {type: 'kv', options: {version: '2'}}})).status).toBe(204)
      expect((await api(empty, 'POST', 'kv2/data/a/b', {body: {data: {v: '1'}}})).status).toBe(200)
      expect((await api(empty, 'GET', 'kv2/data/a/b')).json.data.data).toEqual({v: '1'})
    } finally {
      await empty.close()
    }
  })

  it('applies delete_version_after from the clock', async () => {
    await api(bao, 'POST', 'secret/metadata/ephemeral', {body: {delete_version_after: '1h'}})
    await api(bao, 'POST', 'secret/data/ephemeral', {body: {data: {a: '1'}}})
    expect((await api(bao, 'GET', 'secret/data/ephemeral')).status).toBe(200)
    bao.clock.advance(3600_000)
    const expired = await api(bao, 'GET', 'secret/data/ephemeral')
    expect(expired.status).toBe(404)
    expect(expired.json.data.metadata.deletion_time).toMatch(/^2025-03-01T11:00:00(\.[0-9]+)?Z$/)
  })
})
