/**
 * The OpenBao driver's and client's transport against the OpenBao test server: health, retries
 * (reads through transient statuses and dropped connections; a write only with check-and-set,
 * confirmed by reading back), timeouts, the in-flight bound, keep-alive, the namespace header, and
 * a token canary that no error may carry.
 *
 * Nothing here depends on how fast the machine is: a request that must outlive a timeout is held
 * by the server until the test releases it, "n requests in flight" is an event the server reports,
 * and overlap is counted from the server's event order, not from clock readings.
 */
import {describe, it, expect, beforeAll, afterAll, beforeEach, afterEach} from 'vitest'
import {once} from 'node:events'
import {createServer, connect, type AddressInfo, type Socket} from 'node:net'
import {startOpenBaoTestServer, type OpenBaoTestServer, type RequestLogEntry} from '../../support/openbao/index.js'
import {OpenBaoDriver, type OpenBaoDriverOptions} from '../../../src/backends/openbao/openbao-driver.js'
import {OpenBaoClient} from '../../../src/backends/openbao/openbao-http-client.js'
import {BackendError} from '../../../src/errors.js'
import {failure, prefixOf} from './driver-assertions.js'
import {within} from '../../support/wait-for.js'

let server: OpenBaoTestServer
beforeAll(async () => {
  server = await startOpenBaoTestServer()
})
afterAll(async () => server?.close())
beforeEach(() => server.faults.clear())
const cleanups: (() => void)[] = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})

/** Quick retries, and a timeout far above any answer's time on a loaded machine (tests of the timeout set their own). */
const FAST: OpenBaoDriverOptions = {minRetryMs: 1, maxRetryMs: 5, timeoutMs: 30_000}

let n = 0
function driver(
  token: string,
  opts: {concurrency?: number; namespace?: string; url?: string; options?: OpenBaoDriverOptions} = {},
): OpenBaoDriver {
  const config = {
    url: opts.url ?? server.url,
    tokenSecretRef: {name: 'bao-creds', key: 'token'},
    mount: 'secret',
    pathPrefix: `tr${++n}`,
    ...(opts.namespace ? {namespace: opts.namespace} : {}),
  }
  return new OpenBaoDriver(
    {
      backend: {
        id: 1,
        name: 'bao',
        type: 'openbao',
        description: null,
        isDefault: false,
        config,
        rotation: null,
        tokenMeta: null,
        createdAt: '',
        updatedAt: '',
      },
      state: {} as never,
      readTrustRoot: async () => token,
      concurrency: opts.concurrency ?? 16,
      env: {},
    },
    opts.options ?? FAST,
  )
}

/**
 * A port that refuses connections for the rest of the test: the local port of an open client
 * connection. Nothing listens there, and nothing else can bind it while that connection lives
 * (a port bound and then released could be taken by another process in between).
 */
async function refusedPort(): Promise<number> {
  const accepted: Socket[] = []
  const listener = createServer((s) => accepted.push(s)).listen(0, '127.0.0.1')
  await once(listener, 'listening')
  const client = connect((listener.address() as AddressInfo).port, '127.0.0.1')
  await once(client, 'connect')
  cleanups.push(() => {
    client.destroy()
    for (const s of accepted) s.destroy()
    listener.close()
  })
  return client.localPort!
}

function since(start: number): RequestLogEntry[] {
  return server.log.slice(start)
}

/**
 * The most requests among `entries` the server was handling at once, from the order of their
 * arrivals and completions (`arrivalTick`, `doneTick`: one counter, no ties): exact, no clock.
 * The server handles a request within the time the client has it in flight, so this never
 * exceeds what the client had in flight.
 */
function maxInFlight(entries: RequestLogEntry[]): number {
  const events = entries.flatMap((e) => [
    {at: e.arrivalTick, delta: 1},
    {at: e.doneTick, delta: -1},
  ])
  events.sort((a, b) => a.at - b.at)
  let now = 0
  let max = 0
  for (const ev of events) {
    now += ev.delta
    max = Math.max(max, now)
  }
  return max
}

describe('openbao driver: health', () => {
  it('ok, standby, sealed, not initialised, unreachable; never throws for those', async () => {
    const d = driver(server.rootToken)
    expect(await d.health()).toEqual({ok: true, detail: 'ok'})
    server.setStandby(true)
    try {
      expect(await d.health()).toEqual({ok: true, detail: 'standby'})
    } finally {
      server.setStandby(false)
    }
    server.seal()
    try {
      expect(await d.health()).toEqual({ok: false, detail: 'sealed'})
    } finally {
      server.unseal()
    }
    const fresh = await startOpenBaoTestServer({initialized: false})
    try {
      expect(await driver('unused', {url: fresh.url}).health()).toEqual({ok: false, detail: 'not initialised'})
    } finally {
      await fresh.close()
    }
    const port = await refusedPort()
    expect(await driver(server.rootToken, {url: `http://127.0.0.1:${port}`}).health()).toEqual({
      ok: false,
      detail: 'unreachable: ECONNREFUSED',
    })
  })

  it('sends neither the namespace header (OpenBao refuses it there) nor a token', async () => {
    const d = driver(server.rootToken, {namespace: 'team-health'})
    const start = server.log.length
    expect(await d.health()).toEqual({ok: true, detail: 'ok'})
    expect(since(start).map((e) => [e.path, e.namespace, e.tokenPresented])).toEqual([['/v1/sys/health', '', false]])
  })

  it('a sealed or standby status is the answer, not a reason to retry', async () => {
    server.seal()
    const start = server.log.length
    try {
      await driver(server.rootToken).health()
    } finally {
      server.unseal()
    }
    expect(since(start)).toHaveLength(1)
  })
})

describe('openbao driver: retries', () => {
  it('a read goes through two transient 503s', async () => {
    const d = driver(server.rootToken)
    await d.write('r', {K: 'v'})
    server.faults.failNext(2, {method: 'GET', path: 'secret/data/*', status: 503, body: {errors: ['temporarily overloaded']}})
    const start = server.log.length
    expect(await d.read('r')).toEqual({K: 'v'})
    expect(since(start).map((e) => e.status)).toEqual([503, 503, 200])
  })

  it('429, 502 and 504 are retried for metadata and list; 500 is not', async () => {
    const d = driver(server.rootToken)
    await d.write('m', {K: 'v'})
    server.faults.failNext(1, {
      method: 'GET',
      path: 'secret/metadata/*',
      status: 429,
      body: {errors: ['request path "x": rate limit quota exceeded']},
    })
    server.faults.failNth(2, {method: 'GET', path: 'secret/metadata/*', status: 502, body: null})
    server.faults.failNth(3, {method: 'GET', path: 'secret/metadata/*', status: 504, body: null})
    let start = server.log.length
    expect(await d.metadata('m')).toEqual({exists: true, version: '1'})
    expect(since(start).map((e) => e.status)).toEqual([429, 502, 504, 200])

    server.faults.failNext(1, {method: 'LIST', path: 'secret/metadata/*', status: 503, body: {errors: []}})
    start = server.log.length
    expect(await d.list()).toEqual(['m'])
    expect(since(start).map((e) => e.status)).toEqual([503, 200])

    server.faults.failNext(1, {method: 'GET', path: 'secret/data/*', status: 500})
    start = server.log.length
    const err = await failure(d.read('m'))
    expect(err.message).toBe(`backend bao: GET secret/data/${prefixOf(d)}/m answered 500: internal error`)
    expect(since(start)).toHaveLength(1)
  })

  it('gives up after four attempts with the last answer', async () => {
    const d = driver(server.rootToken)
    server.faults.failNext(10, {method: 'GET', path: 'secret/data/*', status: 503, body: {errors: ['temporarily overloaded']}})
    const start = server.log.length
    const err = await failure(d.read('gone'))
    expect(err.message).toBe(`backend bao: GET secret/data/${prefixOf(d)}/gone answered 503: temporarily overloaded`)
    expect(err.status).toBe(503)
    expect(since(start)).toHaveLength(4)
  })

  it('a sealed server is a clear error at once, not retried', async () => {
    const d = driver(server.rootToken)
    server.seal()
    const start = server.log.length
    try {
      const err = await failure(d.read('x'))
      expect(err.message).toBe(`backend bao: OpenBao at ${server.url} is sealed`)
      expect(err.status).toBe(503)
    } finally {
      server.unseal()
    }
    expect(since(start)).toHaveLength(1)
  })

  it('a read whose connection drops is retried', async () => {
    const d = driver(server.rootToken)
    await d.write('dr', {K: 'v'})
    server.faults.dropConnection({method: 'GET', path: 'secret/data/*', stage: 'before-headers'})
    server.faults.dropConnection({method: 'GET', path: 'secret/data/*', stage: 'partial-body', bytes: 10, nth: 2})
    const start = server.log.length
    expect(await d.read('dr')).toEqual({K: 'v'})
    expect(since(start).map((e) => e.fault ?? e.status)).toEqual(['drop', 'drop', 200])
  })

  it('a write without check-and-set is sent once: a 502 is an error', async () => {
    const d = driver(server.rootToken)
    server.faults.failNext(1, {method: 'POST', path: 'secret/data/*', status: 502, body: null})
    const start = server.log.length
    const err = await failure(d.write('w', {K: 'v'}))
    expect(err.message).toBe(`backend bao: POST secret/data/${prefixOf(d)}/w answered 502: no error text`)
    expect(since(start)).toHaveLength(1)
  })

  it('a write without check-and-set whose connection drops is an error saying it may have landed', async () => {
    const d = driver(server.rootToken)
    server.faults.dropConnection({method: 'POST', path: 'secret/data/*', stage: 'after-headers', applyRequest: true})
    const start = server.log.length
    const err = await failure(d.write('wd', {K: 'v'}))
    expect(err.message).toMatch(
      new RegExp(`cannot reach OpenBao at ${server.url}: .*\\(the write to secret/data/${prefixOf(d)}/wd may or may not have landed\\)`),
    )
    expect(since(start)).toHaveLength(1)
  })

  it('a check-and-set write whose answer was lost after it landed: retried, confirmed by reading back, reported with the version that landed', async () => {
    const d = driver(server.rootToken)
    server.faults.dropConnection({method: 'POST', path: 'secret/data/*', stage: 'after-headers', applyRequest: true})
    const start = server.log.length
    const w = await d.write('dropped', {K: 'v', L: 'w'}, {ifVersion: null})
    expect(w.version).toBe('1')
    expect(since(start).map((e) => `${e.method} ${e.fault ?? e.status}`)).toEqual(['POST drop', 'POST 400', 'GET 200'])
    expect(server.readKv('secret', `${prefixOf(d)}/dropped`)).toMatchObject({version: 1, data: {K: 'v', L: 'w'}})
  })

  it('a check-and-set write dropped before it applied is simply retried', async () => {
    const d = driver(server.rootToken)
    await d.write('again', {K: 'one'}, {ifVersion: null})
    server.faults.dropConnection({method: 'POST', path: 'secret/data/*', stage: 'before-headers', applyRequest: false})
    server.faults.failNext(1, {method: 'POST', path: 'secret/data/*', status: 503, body: {errors: ['overloaded']}})
    const start = server.log.length
    expect(await d.write('again', {K: 'two'}, {ifVersion: '1'})).toMatchObject({version: '2'})
    expect(since(start).map((e) => e.fault ?? e.status)).toEqual(['drop', 'fail', 200])
  })

  it("a retried check-and-set write that finds someone else's values reports the mismatch", async () => {
    const d = driver(server.rootToken)
    await d.write('raced', {K: 'one'}, {ifVersion: null})
    server.faults.dropConnection({method: 'POST', path: 'secret/data/*', stage: 'after-headers', applyRequest: true})
    const retry = server.faults.hold({method: 'POST', path: `secret/data/${prefixOf(d)}/raced`, nth: 2, times: 1})
    const pending = d.write('raced', {K: 'mine'}, {ifVersion: '1'}).catch((e: unknown) => e)
    await within(retry.whenParked(1), 'the retried write')
    server.writeKv('secret', `${prefixOf(d)}/raced`, {K: 'outside'}) // lands between the two attempts
    retry.release()
    const err = (await pending) as BackendError
    expect(err).toBeInstanceOf(BackendError)
    expect(err.message).toMatch(/changed on the server since secretctl last wrote it \(check-and-set expected version 1\)/)
  })
})

describe('openbao driver: timeouts, in-flight bound, keep-alive, namespace', () => {
  it('an attempt that gets no answer within the timeout is abandoned; a read is retried, a plain write is not', async () => {
    // Each attempt's timeout is 2 s; the attempts that must time out are held unanswered, so only the timeout ends them.
    const d = driver(server.rootToken, {options: {minRetryMs: 1, maxRetryMs: 5, timeoutMs: 2_000}})
    await d.write('slow', {K: 'v'})
    const path = `secret/data/${prefixOf(d)}/slow`
    const read = server.faults.hold({method: 'GET', path, times: 1})
    expect(await d.read('slow')).toEqual({K: 'v'}) // the retry answered while the first attempt was still held
    expect([read.fired, read.parked]).toEqual([1, 1])
    read.release()

    const write = server.faults.hold({method: 'POST', path, times: 1})
    const err = await failure(d.write('slow', {K: 'w'}))
    expect(err.message).toMatch(
      /cannot reach OpenBao at .*: no answer within 2000 ms \(the write to secret\/data\/tr\d+\/slow may or may not have landed\)/,
    )
    expect([write.seen, write.parked]).toEqual([1, 1]) // sent once, still unanswered: not retried
    write.release()
  })

  it('keeps at most `concurrency` requests in flight (50 reads, bound 4), measured from the server log', async () => {
    const d = driver(server.rootToken, {concurrency: 4})
    await d.write('p', {K: 'v'})
    const path = `secret/data/${prefixOf(d)}/p`
    // The reads are held until four wait at once: the driver does overlap them (a bound, not a queue of one).
    const gate = server.faults.hold({method: 'GET', path})
    const start = server.log.length
    const reads = Promise.all(Array.from({length: 50}, () => d.read('p')))
    await within(gate.whenParked(4), 'four reads in flight at once')
    gate.release()
    await reads
    const entries = since(start).filter((e) => e.method === 'GET' && e.path === `/v1/${path}`)
    expect(entries).toHaveLength(50)
    expect(maxInFlight(entries)).toBe(4) // four were held together; never a fifth

    // The same measure sees an unbounded driver go past 4: it can tell.
    const wide = driver(server.rootToken, {concurrency: 50})
    await wide.write('p', {K: 'v'})
    const widePath = `secret/data/${prefixOf(wide)}/p`
    const wideGate = server.faults.hold({method: 'GET', path: widePath})
    const wideStart = server.log.length
    const wideReads = Promise.all(Array.from({length: 50}, () => wide.read('p')))
    await within(wideGate.whenParked(5), 'five reads in flight at once')
    wideGate.release()
    await wideReads
    expect(maxInFlight(since(wideStart).filter((e) => e.path === `/v1/${widePath}`))).toBeGreaterThan(4)
  })

  it('reuses keep-alive connections', async () => {
    // A pool of two connections: undici may hand back-to-back requests to either of them (the one
    // just used is not always marked free yet), so with a pool of 16 the count of connections
    // depends on the scheduler; what the client guarantees is the pool's size.
    const d = driver(server.rootToken, {concurrency: 2})
    await d.write('ka', {K: 'v'})
    const start = server.log.length
    for (let i = 0; i < 20; i++) await d.read('ka')
    const ours = since(start).filter((e) => e.path === `/v1/secret/data/${prefixOf(d)}/ka`)
    expect(ours).toHaveLength(20)
    expect(new Set(ours.map((e) => e.connectionId)).size).toBeLessThanOrEqual(2) // 20 requests over the pooled connections, not 20
  })

  it('sends X-Vault-Namespace when configured', async () => {
    server.createNamespace('team')
    server.enableKv('secret', {namespace: 'team'})
    const d = driver(server.rootToken, {namespace: 'team'})
    const start = server.log.length
    await d.write('ns', {K: 'v'}, {ifVersion: null})
    expect(await d.read('ns')).toEqual({K: 'v'})
    expect(await d.metadata('ns')).toEqual({exists: true, version: '1'})
    expect(await d.list()).toEqual(['ns'])
    expect(since(start).map((e) => e.namespace)).toEqual(['team/', 'team/', 'team/', 'team/'])
    expect(server.readKv('secret', `${prefixOf(d)}/ns`, {namespace: 'team'})?.data).toEqual({K: 'v'})
    expect(await driver(server.rootToken).read('ns')).toBeUndefined() // not in the root namespace
  })
})

describe('OpenBaoClient', () => {
  it('answers any status as {status, body}; throws only when no answer came', async () => {
    const client = new OpenBaoClient({backend: 'bao', url: `${server.url}/`, minRetryMs: 1, maxRetryMs: 5})
    const self = await client.request('GET', 'auth/token/lookup-self', {token: server.rootToken, idempotent: true})
    expect(self.status).toBe(200)
    expect(self.body.data.policies).toEqual(['root'])
    expect(await client.request('GET', 'secret/data/nope', {token: server.rootToken, idempotent: true})).toEqual({
      status: 404,
      body: {errors: []},
    })
    expect((await client.request('GET', 'sys/mounts', {token: 'wrong'})).status).toBe(403)

    server.faults.failNext(1, {method: 'POST', path: 'auth/token/create', status: 503, body: {errors: ['overloaded']}})
    const start = server.log.length
    expect(await client.request('POST', 'auth/token/create', {token: server.rootToken, body: {}})).toEqual({
      status: 503,
      body: {errors: ['overloaded']},
    })
    expect(since(start)).toHaveLength(1) // not idempotent: not retried

    const port = await refusedPort()
    const down = new OpenBaoClient({backend: 'bao', url: `http://127.0.0.1:${port}`, minRetryMs: 1, maxRetryMs: 5})
    const err = await failure(down.request('GET', 'sys/health', {idempotent: true}))
    expect(err.message).toBe(`backend bao: cannot reach OpenBao at http://127.0.0.1:${port}: ECONNREFUSED`)
  })

  it('a request may name its own namespace', async () => {
    server.createNamespace('other')
    const client = new OpenBaoClient({backend: 'bao', url: server.url, namespace: 'team-x'})
    const start = server.log.length
    await client.request('GET', 'sys/mounts', {token: server.rootToken, namespace: 'other'})
    await client.request('GET', 'sys/health', {withNamespace: false})
    expect(since(start).map((e) => e.namespace)).toEqual(['other/', ''])
  })
})

describe('the token never reaches an error', () => {
  it('no message, hint or stack carries it, whatever fails', async () => {
    const canary = `s.CANARY${Math.random().toString(36).slice(2)}TOKEN`
    const own = await startOpenBaoTestServer({rootToken: canary})
    const errors: BackendError[] = []
    const collect = async (p: Promise<unknown>) => errors.push(await failure(p))
    try {
      const d = driver(canary, {url: own.url})
      await d.write('c', {K: 'VALUE-one'}, {ifVersion: null})
      await collect(d.write('c', {K: 'VALUE-two'}, {ifVersion: null})) // check-and-set mismatch
      own.faults.failNext(1, {status: 500, body: {errors: ['internal error']}})
      await collect(d.read('c'))
      const held = own.faults.hold({times: 1}) // no answer: the timeout is the only way out
      await collect(driver(canary, {url: own.url, options: {...FAST, timeoutMs: 100}}).write('c', {K: 'VALUE-three'}))
      held.release()
      own.seal()
      await collect(d.metadata('c'))
      own.unseal()
      own.revokeToken(canary)
      await collect(driver(canary, {url: own.url}).list()) // revoked root token: 403
      await collect(driver(canary, {url: own.url}).delete('c'))
      for (const bad of [`${canary}\ninside`, `inside ${canary}`]) await collect(driver(bad, {url: own.url}).read('c')) // cannot go in a header
      const port = await refusedPort()
      await collect(driver(canary, {url: `http://127.0.0.1:${port}`}).write('c', {K: 'VALUE-four'}, {ifVersion: '1'}))
    } finally {
      await own.close()
    }
    expect(errors.length).toBeGreaterThanOrEqual(9)
    for (const err of errors) {
      for (const text of [err.message, err.hint ?? '', err.stack ?? '', String(err), JSON.stringify(err)]) {
        expect(text).not.toContain('CANARY')
        expect(text).not.toContain('VALUE-')
      }
    }
  })
})
