/** The OpenBao test server in its own process (see server-process.js): policies, tokens, the request log. */
import {startServerProcess} from './server-process.js'

export async function startBaoServer(root) {
  const s = await startServerProcess(root, 'test/support/openbao/cli.ts', 'OpenBao test server')
  return {
    ...s,
    rootToken: s.info.rootToken,
    putPolicy: (name, hcl) => s.control('PUT', `policies/${encodeURIComponent(name)}`, {policy: hcl}),
    createToken: async (policies, ttl = '24h') => (await s.control('POST', 'tokens', {policies, ttl})).token,
    logSummary: () => s.logSummary((e) => `${e.method} ${e.operation ?? '-'} ${e.status}`),
    /** Idle gaps in the request log since the last clear: the largest between two consecutive arrivals, and how many exceed 100 ms. */
    async logGaps() {
      const {entries} = await s.control('GET', 'log')
      const times = entries.map((e) => e.timestamp).sort((a, b) => a - b)
      let maxGapMs = 0
      let gapsOver100Ms = 0
      for (let i = 1; i < times.length; i++) {
        const gap = times[i] - times[i - 1]
        if (gap > maxGapMs) maxGapMs = gap
        if (gap > 100) gapsOver100Ms++
      }
      return {requests: times.length, serverWindowMs: times.length ? times.at(-1) - times[0] : null, maxGapMs, gapsOver100Ms}
    },
  }
}
