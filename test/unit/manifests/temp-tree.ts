/** Test helper: writes a manifests directory into a fresh temp dir and collects load problems. */
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {ManifestErrors, type ManifestProblem} from '../../../src/errors.js'
import {loadManifests} from '../../../src/manifests/load-manifests.js'

export function writeTree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'secretctl-manifests-'))
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), {recursive: true})
    writeFileSync(path.join(dir, file), content)
  }
  return dir
}

/** The problems loading `files` reports; fails the test when loading succeeds. */
export async function problemsOf(files: Record<string, string>): Promise<ManifestProblem[]> {
  try {
    await loadManifests(writeTree(files))
  } catch (error) {
    if (error instanceof ManifestErrors) return error.problems
    throw error
  }
  throw new Error('expected ManifestErrors, but the manifests loaded')
}
