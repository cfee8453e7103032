/** The OpenBao test server in its own process (see server-process.js): policies, tokens, the request log. */
import {startServerProcess} from './server-process.js'

export async function startBaoServer(root) {
  // The request log holds every request of a move of 100,000 secrets (about 3 per secret), not the last 100,000.
  const s = await startServerProcess(root, 'test/support/openbao/cli.ts', 'OpenBao test server', ['--max-log-entries', '1000000'])
  return {
    ...s,
    rootToken: s.info.rootToken,
    putPolicy: (name, hcl) => s.control('PUT', `policies/${encodeURIComponent(name)}`, {policy: hcl}),
    createToken: async (policies, ttl = '24h') => (await s.control('POST', 'tokens', {policies, ttl})).token,
    logSummary: () => s.logSummary((e) => `${e.method} ${e.operation ?? '-'} ${e.status}`),
    /** Idle gaps in the request log since the last clear: the largest between two consecutive arrivals, and how many exceed 100 ms. */
    async logGaps() {
      const {entries} = await s.control('GET', 'log')
      const sorted = [...entries].sort((a, b) => a.timestamp - b.timestamp)
      const times = sorted.map((e) => e.timestamp)
      let maxGapMs = 0
      let maxGapAt = null
      let gapsOver100Ms = 0
      for (let i = 1; i < times.length; i++) {
        const gap = times[i] - times[i - 1]
        if (gap > maxGapMs) {
          maxGapMs = gap
          // Where it fell: the request index and the two requests' operations (no paths: they name secrets).
          maxGapAt = {
            index: i,
            before: `${sorted[i - 1].method} ${sorted[i - 1].operation}`,
            after: `${sorted[i].method} ${sorted[i].operation}`,
          }
        }
        if (gap > 100) gapsOver100Ms++
      }
      return {requests: times.length, serverWindowMs: times.length ? times.at(-1) - times[0] : null, maxGapMs, maxGapAt, gapsOver100Ms}
    },
  }
}
