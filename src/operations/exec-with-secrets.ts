/**
 * `secretctl exec`: resolve each `--secret` by name through the state and its backend, wherever it
 * lives now, and run the command with the values in its environment. Values leave the process
 * only into the child's environment.
 */
import {withExistingState} from '../workspace/workspace.js'
import {SecretResolver} from '../exec/resolve-secret.js'
import {environmentFor, parseSecretMapping} from '../exec/env-mapping.js'
import {runChild} from '../exec/run-child.js'
import {UsageError} from '../errors.js'
import type {CredentialPrompt} from '../backends/driver.js'

export interface ExecRequest {
  dir: string
  state?: string
  env: NodeJS.ProcessEnv
  /** A hidden prompt at the terminal, for a backend's password. */
  prompt?: CredentialPrompt
  /** `NAME[,key=KEY][,target=ENV]` each. */
  secrets: string[]
  argv: string[]
}

/** The child's exit status. */
export async function execWithSecrets(req: ExecRequest): Promise<number> {
  const [command, ...args] = req.argv
  if (!command) throw new UsageError('no command to run', 'put it after --, e.g. secretctl exec --secret github -- ./server')
  const mappings = req.secrets.map(parseSecretMapping)
  const injected = await withExistingState(req, async (state) => {
    const resolver = new SecretResolver(state, req.env, undefined, {dir: req.dir, prompt: req.prompt})
    try {
      const env: Record<string, string> = {}
      for (const m of mappings) Object.assign(env, environmentFor(m, await resolver.resolve(m.name)))
      return env
    } finally {
      await resolver.close()
    }
  })
  return runChild(command, args, {...req.env, ...injected})
}
