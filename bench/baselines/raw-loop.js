/**
 * Baseline (a): the OpenBao test server's raw capacity for a move's request mix. For each of N
 * secrets, the request secretctl's move sends to OpenBao — `POST secret/data/PREFIX/NAME` with
 * `options.cas = 0` (a new destination; secretctl reads metadata only when that check fails) —
 * from CONCURRENCY workers over keep-alive connections (node:http Agent, maxSockets =
 * CONCURRENCY), the same token and policy as secretctl. No retries: any status other than 200
 * fails it.
 *
 * usage: node bench/baselines/raw-loop.js URL TOKEN PREFIX N CONCURRENCY
 * prints {"requests": N, "ms": …, "requestsPerSecond": …}
 */
import http from 'node:http'

const [url, token, prefix, nArg, cArg] = process.argv.slice(2)
const n = Number(nArg)
const concurrency = Number(cArg)
if (!url || !token || !prefix || !(n > 0) || !(concurrency > 0)) {
  process.stderr.write('usage: raw-loop.js URL TOKEN PREFIX N CONCURRENCY\n')
  process.exit(2)
}
const agent = new http.Agent({keepAlive: true, maxSockets: concurrency})

function request(method, path, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    const headers = {'X-Vault-Token': token}
    if (payload) Object.assign(headers, {'Content-Type': 'application/json', 'Content-Length': payload.length})
    const req = http.request(`${url}/v1/${path}`, {method, agent, headers, timeout: 30_000}, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        resolve({status: res.statusCode, body: text ? JSON.parse(text) : null})
      })
    })
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)))
    req.on('error', reject)
    req.end(payload)
  })
}

let next = 0
let requests = 0
async function worker() {
  while (next < n) {
    const name = `s-${String(next++).padStart(5, '0')}`
    const put = await request('POST', `secret/data/${prefix}/${name}`, {options: {cas: 0}, data: {API_KEY: 'x'.repeat(32)}})
    requests++
    if (put.status !== 200) throw new Error(`write ${name}: ${put.status}`)
  }
}

const started = performance.now()
await Promise.all(Array.from({length: concurrency}, worker))
const ms = performance.now() - started
agent.destroy()
process.stdout.write(`${JSON.stringify({requests, ms, requestsPerSecond: requests / (ms / 1000)})}\n`)
