/**
 * Baseline (a): a test server's raw capacity for a move's request mix. For each of N secrets, the
 * write secretctl's move sends — to OpenBao `POST secret/data/PREFIX/NAME` with `options.cas = 0`
 * (a new destination; secretctl reads metadata only when that check fails); to the Kubernetes API
 * `POST /api/v1/namespaces/NAMESPACE/secrets` with the Secret secretctl writes (its labels and
 * annotations, one 32-character key) — from CONCURRENCY workers over keep-alive connections
 * (node:http Agent, maxSockets = CONCURRENCY), with the same token as secretctl. No retries: any
 * status other than 200/201 fails it.
 *
 * usage: node bench/baselines/raw-loop.js [openbao|kubernetes] URL TOKEN PREFIX|NAMESPACE N CONCURRENCY
 * prints {"requests": N, "ms": …, "requestsPerSecond": …}
 */
import http from 'node:http'

const argv = process.argv.slice(2)
const kind = argv[0] === 'openbao' || argv[0] === 'kubernetes' ? argv.shift() : 'openbao'
const [url, token, prefix, nArg, cArg] = argv
const n = Number(nArg)
const concurrency = Number(cArg)
if (!url || !token || !prefix || !(n > 0) || !(concurrency > 0)) {
  process.stderr.write('usage: raw-loop.js [openbao|kubernetes] URL TOKEN PREFIX|NAMESPACE N CONCURRENCY\n')
  process.exit(2)
}
const agent = new http.Agent({keepAlive: true, maxSockets: concurrency})

function request(method, path, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    const headers = kind === 'kubernetes' ? {Authorization: `Bearer ${token}`} : {'X-Vault-Token': token}
    if (payload) Object.assign(headers, {'Content-Type': 'application/json', 'Content-Length': payload.length})
    const req = http.request(`${url}${path}`, {method, agent, headers, timeout: 30_000}, (res) => {
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
    const put =
      kind === 'kubernetes'
        ? await request('POST', `/api/v1/namespaces/${prefix}/secrets`, kubeSecret(name))
        : await request('POST', `/v1/secret/data/${prefix}/${name}`, {options: {cas: 0}, data: {API_KEY: 'x'.repeat(32)}})
    requests++
    if (put.status !== 200 && put.status !== 201) throw new Error(`write ${name}: ${put.status}`)
  }
}

const started = performance.now()
await Promise.all(Array.from({length: concurrency}, worker))
const ms = performance.now() - started
agent.destroy()
process.stdout.write(`${JSON.stringify({requests, ms, requestsPerSecond: requests / (ms / 1000)})}\n`)

/** The Secret secretctl's kubernetes driver POSTs for a new secret (labels, annotations, one key). */
function kubeSecret(name) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace: prefix,
      labels: {'app.kubernetes.io/managed-by': 'secretctl', 'secretctl.dev/backend': 'k8s', 'secretctl.dev/secret': name},
      annotations: {'secretctl.dev/address': `secret.${name}`, 'secretctl.dev/fingerprint': `sha256:${'0'.repeat(64)}`},
    },
    type: 'Opaque',
    data: {API_KEY: Buffer.from('x'.repeat(32)).toString('base64')},
  }
}
