/**
 * `secretctl exec`: resolve each `--secret` through the chain secretctl.yaml declares (the state
 * and its backend, the environment), then run the command with the values in its environment,
 * its output masked where it is not a terminal. Everything is resolved before the child starts,
 * so `--require-all` fails without starting it. Values leave the process only into the child's
 * environment.
 */
import {readProjectConfig} from '../manifests/project-config.js'
import {ChainResolver} from '../exec/resolve-chain.js'
import {environmentFor, parseSecretMapping} from '../exec/env-mapping.js'
import {runChild, type ChildOutput} from '../exec/run-child.js'
import {UsageError} from '../errors.js'
import {refuseChildProcessDebug} from '../exec/child-process-debug.js'
import type {CredentialPrompt} from '../backends/driver.js'

export interface ExecRequest {
  dir: string
  state?: string
  /** `--env`. */
  environment?: string
  env: NodeJS.ProcessEnv
  /** A hidden prompt at the terminal, for a backend's password. */
  prompt?: CredentialPrompt
  /** `NAME[,key=KEY][,target=ENV]` each. */
  secrets: string[]
  argv: string[]
  /** Fail before starting the child when a key a requested secret is known to have is missing (a missing secret always fails). */
  requireAll?: boolean
  /** Mask injected values in output that is not a terminal (default true). */
  masking?: boolean
  /** Notes for the user (a key skipped), one line each, before the child starts. */
  warn?: (line: string) => void
  output?: ChildOutput
}

/** The child's exit status. */
export async function execWithSecrets(req: ExecRequest): Promise<number> {
  const [command, ...args] = req.argv
  if (!command) throw new UsageError('no command to run', 'put it after --, e.g. secretctl exec --secret github -- ./server')
  const mappings = req.secrets.map(parseSecretMapping)
  refuseChildProcessDebug()
  const resolver = new ChainResolver({...req, config: await readProjectConfig(req.dir)})
  const injected: Record<string, string> = {}
  const missing: string[] = []
  try {
    for (const m of mappings) {
      const found = await resolver.resolve(m)
      if (found.missingKeys.length) missing.push(`secret ${m.name} has no ${found.missingKeys.join(', ')} on ${found.link}`)
      Object.assign(injected, environmentFor(m, found.values))
    }
  } finally {
    await resolver.close()
  }
  if (missing.length && req.requireAll) {
    throw new UsageError(`--require-all: ${missing.join('; ')}`, 'store the missing keys, or request only the keys that exist with key=KEY')
  }
  for (const line of missing) req.warn?.(`warning: ${line}: not injected`)
  const mask = req.masking === false ? [] : Object.values(injected)
  return runChild(command, args, {...req.env, ...injected}, {mask, output: req.output})
}
