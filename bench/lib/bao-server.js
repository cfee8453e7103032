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
  }
}
