/** `secretctl validate`: the manifests load and every value source can be read; no state, no backend. */
import {loadManifests} from '../manifests/load-manifests.js'
import {resolveValues} from '../sources/resolve-values.js'

export interface ValidationSummary {
  backends: number
  secrets: number
  files: number
}

export async function validateManifests(req: {dir: string; env: NodeJS.ProcessEnv}): Promise<ValidationSummary> {
  const desired = await loadManifests(req.dir)
  await resolveValues(desired, {env: req.env})
  return {backends: desired.backends.length, secrets: desired.secrets.length, files: desired.files.length}
}
