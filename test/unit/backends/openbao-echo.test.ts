/**
 * A server (or a proxy in front of it) that echoes what it was sent in its error text must not
 * carry the token or a written value into secretctl's messages (issue 11, item 8); and a server
 * that never answers says how long the user waited, over how many attempts (issue 11, item 9).
 */
import {createServer, type Server, type Socket} from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {startOpenBaoTestServer, type OpenBaoTestServer} from '../../support/openbao/index.js'
import {OpenBaoDriver} from '../../../src/backends/openbao/openbao-driver.js'
import {failure} from './driver-assertions.js'

let server: OpenBaoTestServer
beforeAll(async () => {
  server = await startOpenBaoTestServer()
})
afterAll(async () => server?.close())

function driver(token: string, url = server.url): OpenBaoDriver {
  return new OpenBaoDriver(
    {
      backend: {
        id: 1,
        name: 'bao',
        type: 'openbao',
        description: null,
        isDefault: false,
        config: {url, tokenSecretRef: {name: 'c', key: 't'}, mount: 'secret', pathPrefix: 'echo'},
        rotation: null,
        tokenMeta: null,
        createdAt: '',
        updatedAt: '',
      },
      state: {} as never,
      readTrustRoot: async () => token,
      concurrency: 4,
      env: {},
    },
    {minRetryMs: 1, maxRetryMs: 2, timeoutMs: 300, retries: 2},
  )
}

describe('answers that echo the request', () => {
  it('a 500 quoting the token and the value written reaches no message', async () => {
    const value = 'CANARY-echoed-value-7f3a'
    server.faults.failNext(1, {
      method: 'POST',
      status: 500,
      body: {errors: [`bad request from token ${server.rootToken}: {"data":{"K":"${value}"}}`]},
    })
    const err = await failure(driver(server.rootToken).write('w', {K: value}))
    const everything = `${err.message} ${err.hint ?? ''} ${err.stack ?? ''}`
    expect(everything).not.toContain(server.rootToken)
    expect(everything).not.toContain(value)
    expect(err.message).toContain('bad request from token ***')
  })
})

describe('a server that accepts connections and never answers', () => {
  let silent: Server
  let url: string
  const sockets = new Set<Socket>()
  beforeAll(async () => {
    silent = createServer((socket) => void sockets.add(socket)) // accepts and never writes a byte
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    url = `http://127.0.0.1:${(silent.address() as {port: number}).port}`
  })
  afterAll(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((r) => silent.close(() => r()))
  })

  it('says the per-attempt limit, the number of attempts and the total time', async () => {
    const d = driver('t', url)
    const err = await failure(d.metadata('x'))
    await d.close()
    expect(err.message).toMatch(/no answer within 300 ms \(3 attempts over \d+ s\)/)
  })
})
