/**
 * A test server (OpenBao's, the Kubernetes API's) in its own process, so its CPU is not the bench
 * driver's: started with `--port 0 --json` on 127.0.0.1, its first stdout line read as JSON, then
 * driven over its `/__test/` control API. Stopped with SIGTERM at the end (SIGKILL if it lingers).
 */
import {spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import http from 'node:http'
import path from 'node:path'

/**
 * The servers' young generation (semi-spaces of 64 MiB, Node's default is 16). A move of 100,000 leaves
 * the server holding every secret written; with the default, its request garbage was promoted into that
 * large old generation and a mark-compact stopped it for 180–265 ms in 3 of 20 such moves, which its own
 * request log showed as idle gaps. Real OpenBao (Go) collects concurrently (docs/performance.md, an eleventh round).
 */
const SERVER_NODE_FLAGS = ['--max-semi-space-size=64']

/** Starts `script` (relative to `root`) under tsx; resolves with its JSON banner and the process handle. */
export async function startServerProcess(root, script, name, args = []) {
  const child = spawn(
    process.execPath,
    [...SERVER_NODE_FLAGS, '--import', 'tsx', path.join(root, script), '--port', '0', '--json', ...args],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (c) => (stderr = (stderr + c).slice(-4000)))
  const info = await new Promise((resolve, reject) => {
    let buf = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`the ${name} did not start within 30 s: ${stderr}`))
    }, 30_000)
    child.stdout.setEncoding('utf8').on('data', (c) => {
      buf += c
      const nl = buf.indexOf('\n')
      if (nl >= 0) {
        clearTimeout(timer)
        try {
          resolve(JSON.parse(buf.slice(0, nl)))
        } catch (e) {
          reject(e)
        }
      }
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the ${name} exited (${code}): ${stderr}`))
    })
  })
  const url = info.address
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`unexpected server address ${url}`)
  // A connection per control request: one kept alive could be closed by the server's keep-alive timeout (5 s idle)
  // just as the next request went out on it (a 'socket hang up' seen after a long move under disk pressure).
  const agent = new http.Agent({keepAlive: false, maxSockets: 2})

  const control = (method, route, body) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
      const req = http.request(
        `${url}/__test/${route}`,
        {method, agent, headers: payload ? {'content-type': 'application/json', 'content-length': payload.length} : {}, timeout: 120_000},
        (res) => {
          const chunks = []
          res.on('data', (c) => chunks.push(c))
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            if (res.statusCode >= 300) return reject(new Error(`test control ${method} ${route}: ${res.statusCode} ${text.slice(0, 300)}`))
            resolve(text ? JSON.parse(text) : null)
          })
        },
      )
      req.on('timeout', () => req.destroy(new Error(`test control ${method} ${route} timed out`)))
      req.on('error', reject)
      req.end(payload)
    })

  return {
    info,
    url,
    pid: child.pid,
    control,
    clearLog: () => control('DELETE', 'log'),
    /**
     * Summary of the request log since the last clear: count, first/last arrival (ms), by
     * `key(entry)`; with `within`, the count and window of the entries it keeps (`byOp` has them all).
     */
    async logSummary(key, within = () => true) {
      const {entries} = await control('GET', 'log')
      const byOp = {}
      for (const e of entries) byOp[key(e)] = (byOp[key(e)] ?? 0) + 1
      const kept = entries.filter(within)
      let first = Infinity
      let last = -Infinity
      for (const e of kept) {
        if (e.timestamp < first) first = e.timestamp
        if (e.timestamp > last) last = e.timestamp
      }
      return {requests: kept.length, firstMs: kept.length ? first : null, lastMs: kept.length ? last : null, all: entries.length, byOp}
    },
    /** The server process's peak RSS so far (VmHWM), KB. */
    peakRssKB() {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
        return m ? Number(m[1]) : null
      } catch {
        return null
      }
    },
    async stop() {
      agent.destroy()
      if (child.exitCode !== null || child.signalCode !== null) return
      const gone = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await gone
      clearTimeout(timer)
    },
    /** Synchronous last resort on an abrupt exit of the driver. */
    kill() {
      try {
        child.kill('SIGKILL')
      } catch {}
    },
  }
}
