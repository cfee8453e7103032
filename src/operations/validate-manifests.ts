/**
 * `secretctl validate`: the manifests load for the environment, every value source can be read,
 * and the environment's env files keep the `.env.example` contract. No state, no backend.
 */
import {ManifestErrors, type ManifestProblem} from '../errors.js'
import {loadManifests} from '../manifests/load-manifests.js'
import {sortProblems} from '../manifests/problems.js'
import {resolveValues} from '../sources/resolve-values.js'
import {checkEnvExample} from '../environments/env-example.js'
import {environmentChoice} from '../workspace/workspace.js'

export interface ValidationSummary {
  /** The environment validated; null without environments. */
  environment: string | null
  backends: number
  secrets: number
  files: number
  warnings: string[]
}

export async function validateManifests(req: {dir: string; environment?: string; env: NodeJS.ProcessEnv}): Promise<ValidationSummary> {
  const desired = await loadManifests(req.dir, environmentChoice(req))
  const problems: ManifestProblem[] = []
  await resolveValues(desired, {env: req.env}).catch((err: unknown) => {
    if (!(err instanceof ManifestErrors)) throw err
    problems.push(...err.problems)
  })
  const contract = checkEnvExample(desired)
  problems.push(...contract.errors)
  if (problems.length) throw new ManifestErrors(sortProblems(problems))
  return {
    environment: desired.environment?.name ?? null,
    backends: desired.backends.length,
    secrets: desired.secrets.length,
    files: desired.files.length,
    warnings: contract.warnings,
  }
}
