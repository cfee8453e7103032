/** `secretctl env example`: write `.env.example` from the names the environment's env files define (never their values). */
import {existsSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {loadManifests} from '../manifests/load-manifests.js'
import {ENV_EXAMPLE, envExampleText} from '../environments/env-example.js'
import {environmentChoice} from '../workspace/environment-state.js'
import {UsageError} from '../errors.js'

export interface EnvExampleRequest {
  dir: string
  environment?: string
  env: NodeJS.ProcessEnv
  /** Replace an existing .env.example. */
  force: boolean
}

/** The path written and the names it lists. */
export async function writeEnvExample(req: EnvExampleRequest): Promise<{file: string; names: number}> {
  const desired = await loadManifests(req.dir, environmentChoice(req))
  const file = path.join(desired.dir, ENV_EXAMPLE)
  if (existsSync(file) && !req.force) throw new UsageError(`${file} already exists`, 'pass --force to write it again')
  const text = envExampleText(desired)
  writeFileSync(file, text, {mode: 0o644})
  return {file, names: text.split('\n').filter((l) => /^[^#\s].*=$/.test(l)).length}
}
