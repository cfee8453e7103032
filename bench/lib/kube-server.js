/** The Kubernetes API test server in its own process (see server-process.js), plain HTTP: namespaces, tokens with RBAC rules, the request log. */
import {startServerProcess} from './server-process.js'

export async function startKubeServer(root) {
  const s = await startServerProcess(root, 'test/support/kubernetes/cli.ts', 'Kubernetes API test server')
  return {
    ...s,
    adminToken: s.info.adminToken,
    createNamespace: (name) => s.control('POST', 'namespaces', {name}),
    /** A bearer token with these RBAC rules (`[{verbs, resources, namespaces?}]`). */
    createToken: async (user, rules) => (await s.control('POST', 'tokens', {user, rules})).token,
    /** With `applyOnly`, the window and count leave out the plan's listing (`list`): the migration is the apply's requests. */
    logSummary: (applyOnly = false) =>
      s.logSummary(
        (e) => `${e.method} ${e.verb ?? '-'} ${e.status}`,
        (e) => !applyOnly || e.verb !== 'list',
      ),
  }
}
