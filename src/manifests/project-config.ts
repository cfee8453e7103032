/**
 * Reads `secretctl.yaml` (or `.yml`) at the manifests directory's root: project configuration
 * such as where the state lives. Validated by its own schema; not a manifest.
 */
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {ManifestErrors, type ManifestProblem} from '../errors.js'
import {PROJECT_CONFIG_FILES} from './discover-files.js'
import type {ProjectConfig} from './types.js'
import {parseDocuments} from './parse-documents.js'
import {problemAt} from './problems.js'
import {loadValidators, validateSchema} from './validate-schema.js'

/**
 * The project configuration of `dir` alone, for commands that do not load the manifests.
 * `{}` when there is none (or no such directory); throws ManifestErrors when it is invalid.
 */
export async function readProjectConfig(dir: string): Promise<ProjectConfig> {
  const files: {file: string; absPath: string; text: string}[] = []
  for (const file of PROJECT_CONFIG_FILES) {
    const absPath = path.join(path.resolve(dir), file)
    const text = await readFile(absPath, 'utf8').catch(() => undefined)
    if (text !== undefined) files.push({file, absPath, text})
  }
  // The validators (150 kB) only when there is a file to validate: `exec` in a project without one loads none.
  if (files.length > 0) await loadValidators()
  const {config, problems} = parseProjectConfig(files)
  if (problems.length > 0) throw new ManifestErrors(problems)
  return config
}

/** Validates the configuration files found at the root (normally none or one). */
export function parseProjectConfig(files: {file: string; absPath: string; text: string}[]): {
  config: ProjectConfig
  problems: ManifestProblem[]
} {
  const problems: ManifestProblem[] = []
  let config: ProjectConfig = {}
  for (const [i, {file, absPath, text}] of files.entries()) {
    if (i > 0) {
      problems.push({
        file,
        line: 1,
        column: 1,
        field: '',
        message: `both ${files[0]!.file} and ${file} exist`,
        hint: 'keep one project configuration file',
      })
      continue
    }
    const documents = [...parseDocuments(file, absPath, text, problems)]
    for (const extra of documents.slice(1)) problems.push(problemAt(extra, [], 'the project configuration holds one YAML document'))
    const doc = documents[0]
    if (!doc) {
      config = {file}
      continue
    }
    const found = validateSchema('ProjectConfig', doc)
    problems.push(...found)
    if (found.length === 0) {
      const {$schema: _editorSchema, ...settings} = doc.value as ProjectConfig & {$schema?: string}
      config = {...settings, file}
    }
  }
  return {config, problems}
}
