import {Agent, fetch} from 'undici'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {startOpenBaoTestServer, type OpenBaoTestServer} from '../../support/openbao/index.js'
import {api, rawExchange, splitResponses} from './helpers.js'

describe('OpenBao test server: HTTP transport', () => {
  let bao: OpenBaoTestServer
  beforeAll(async () => {
    bao = await startOpenBaoTestServer({rootToken: 'root-token'})
    await api(bao, 'POST', 'secret/data/app/db', {body: {data: {password: 'p'}}})
    await api(bao, 'POST', 'secret/data/top', {body: {data: {a: '1'}}})
  })
  afterAll(async () => {
    await bao.close()
  })

  it('accepts the LIST method on a raw socket (Node’s own parser would reject it)', async () => {
    const out = await rawExchange(
      bao.port,
      'LIST /v1/secret/metadata/ HTTP/1.1\r\nHost: x\r\nX-Vault-Token: root-token\r\nConnection: close\r\n\r\n',
    )
    const [res] = splitResponses(out)
    expect(res!.status).toBe(200)
    expect(res!.headers['cache-control']).toBe('no-store')
    expect(JSON.parse(res!.body).data).toEqual({keys: ['app/', 'top']})
  })

  it('accepts LIST through fetch and GET ?list=true alike', async () => {
    const viaList = await api(bao, 'LIST', 'secret/metadata/app')
    const viaGet = await api(bao, 'GET', 'secret/metadata/app?list=true')
    expect(viaList.status).toBe(200)
    expect(viaList.json.data).toEqual({keys: ['db']})
    expect(viaGet.json.data).toEqual(viaList.json.data)
  })

  it('serves two requests on one keep-alive socket (sequential and pipelined)', async () => {
    const request = 'GET /v1/secret/data/top HTTP/1.1\r\nHost: x\r\nX-Vault-Token: root-token\r\n\r\n'
    const out = await rawExchange(bao.port, request + request, {untilResponses: 2})
    const responses = splitResponses(out)
    expect(responses.map((r) => r.status)).toEqual([200, 200])
    expect(responses[0]!.headers.connection).toBeUndefined()
    expect(JSON.parse(responses[1]!.body).data.data).toEqual({a: '1'})
  })

  it('lets fetch reuse keep-alive connections (request log connection ids repeat)', async () => {
    // One connection at most: fetch's default pool may open a second one for back-to-back
    // requests, depending on the scheduler; with one, every request must reuse it.
    const dispatcher = new Agent({connections: 1})
    try {
      bao.clearLog()
      for (let i = 0; i < 6; i++) {
        const res = await fetch(`${bao.url}/v1/secret/data/top`, {headers: {'X-Vault-Token': 'root-token'}, dispatcher})
        expect(res.status).toBe(200)
        await res.text()
      }
      expect(new Set(bao.log.map((e) => e.connectionId)).size).toBe(1)
    } finally {
      await dispatcher.close()
    }
  })

  it('reads chunked request bodies and answers Expect: 100-continue', async () => {
    const body = JSON.stringify({data: {chunked: 'yes'}})
    const chunked = `${body.slice(0, 10).length.toString(16)}\r\n${body.slice(0, 10)}\r\n${body.slice(10).length.toString(16)}\r\n${body.slice(10)}\r\n0\r\n\r\n`
    const out = await rawExchange(
      bao.port,
      `POST /v1/secret/data/chunked HTTP/1.1\r\nHost: x\r\nX-Vault-Token: root-token\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n${chunked}`,
    )
    expect(out.startsWith('HTTP/1.1 100 Continue\r\n\r\n')).toBe(true)
    const res = splitResponses(out.slice('HTTP/1.1 100 Continue\r\n\r\n'.length))[0]!
    expect(res.status).toBe(200)
    expect(bao.readKv('secret', 'chunked')?.data).toEqual({chunked: 'yes'})
  })

  it('closes HTTP/1.0 connections and honours Connection: close', async () => {
    const out = await rawExchange(bao.port, 'GET /v1/sys/health HTTP/1.0\r\n\r\n')
    const [res] = splitResponses(out)
    expect(res!.status).toBe(200)
    expect(res!.headers.connection).toBe('close')
  })

  it('answers 400 to a malformed request line and 405 {"errors":[]} to an unknown method', async () => {
    const bad = await rawExchange(bao.port, 'NOT A REQUEST\r\n\r\n')
    expect(bad.startsWith('HTTP/1.1 400')).toBe(true)
    const res = await api(bao, 'BREW', 'secret/data/top')
    expect(res.status).toBe(405)
    expect(res.json).toEqual({errors: []})
  })

  it('answers 404 {"errors":[]} outside /v1/ and sets Cache-Control: no-store on errors', async () => {
    const res = await fetch(`${bao.url}/nowhere`)
    expect(res.status).toBe(404)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(await res.json()).toEqual({errors: []})
  })

  it('refuses oversized bodies with 413', async () => {
    const small = await startOpenBaoTestServer()
    try {
      const out = await rawExchange(small.port, `POST /v1/secret/data/x HTTP/1.1\r\nHost: x\r\nContent-Length: ${64 * 1024 * 1024}\r\n\r\n`)
      expect(out.startsWith('HTTP/1.1 413')).toBe(true)
    } finally {
      await small.close()
    }
  })

  it('stops listening on close() and drops open connections', async () => {
    const other = await startOpenBaoTestServer()
    await api(other, 'GET', 'sys/health')
    await other.close()
    await expect(fetch(`${other.url}/v1/sys/health`)).rejects.toThrow()
    expect(other.connectionCount).toBe(0)
  })
})
