/**
 * The `.env.example` contract of kmcp's layout: a committed file listing the names (never the
 * values) that every environment's `.env.<environment>` must define. `validate --env E` checks the
 * env files environment E reads against it; `env example` writes it from those files' names.
 */
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import type {ManifestProblem} from '../errors.js'
import type {DesiredModel} from '../manifests/types.js'
import {parseEnvText} from '../sources/env-file.js'
import {readValueFile} from '../sources/value-files.js'
import {fileRoots} from '../sources/resolve-values.js'

export const ENV_EXAMPLE = '.env.example'

/** The env files a model reads whole (`envFile:`), each with the secrets that read it. */
export function envFilesOf(model: DesiredModel): Map<string, {secrets: string[]; at: ManifestProblem}> {
  const files = new Map<string, {secrets: string[]; at: ManifestProblem}>()
  for (const secret of model.secrets) {
    for (const source of secret.fileSources.filter((f) => f.kind === 'envFile')) {
      const at = secret.fields.get('envFile') ?? secret.at
      const entry = files.get(source.path) ?? {
        secrets: [],
        at: {file: at.file, line: at.line, column: at.column, field: 'envFile', message: ''},
      }
      entry.secrets.push(secret.name)
      files.set(source.path, entry)
    }
  }
  return files
}

export interface ContractReport {
  errors: ManifestProblem[]
  warnings: string[]
}

/** Checks each env file the model reads against `.env.example` (when the project has one): missing or empty names are errors, extra names warnings. */
export function checkEnvExample(model: DesiredModel): ContractReport {
  const report: ContractReport = {errors: [], warnings: []}
  const examplePath = path.join(model.dir, ENV_EXAMPLE)
  if (!existsSync(examplePath)) return report
  const example = Object.keys(parseEnvText(readFileSync(examplePath, 'utf8')).values)
  const envName = model.environment ? ` (environment ${model.environment.name})` : ''
  for (const [file, {at}] of envFilesOf(model)) {
    const rel = path.relative(model.dir, file)
    const read = readValueFile(file, fileRoots(model))
    if (!read.ok) continue // resolution reports an unreadable file with its manifest field
    const values = parseEnvText(read.text).values
    for (const name of example) {
      if (!(name in values))
        report.errors.push({
          ...at,
          message: `${rel} has no ${name}, which ${ENV_EXAMPLE} requires${envName}`,
          hint: `add ${name}=… to ${rel}`,
        })
      else if (values[name] === '')
        report.errors.push({...at, message: `${rel} gives ${name} an empty value${envName}`, hint: `set ${name} in ${rel}`})
    }
    for (const name of Object.keys(values).filter((n) => !example.includes(n))) {
      report.warnings.push(`${rel}: ${name} is not in ${ENV_EXAMPLE}; no other environment is required to define it`)
    }
  }
  return report
}

/** `.env.example` for the names the model's env files define: names and comments, never values. */
export function envExampleText(model: DesiredModel): string {
  const lines = [
    '# Names every .env.<environment> file must define (values never go here: this file is committed).',
    '# Written by `secretctl env example`; checked by `secretctl validate --env ENV`.',
  ]
  const roots = fileRoots(model)
  const seen = new Set<string>()
  for (const [file, {secrets}] of [...envFilesOf(model)].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const read = readValueFile(file, roots)
    if (!read.ok) continue
    const names = Object.keys(parseEnvText(read.text).values).filter((n) => !seen.has(n))
    if (!names.length) continue
    lines.push('', `# ${path.relative(model.dir, file)}: secret${secrets.length > 1 ? 's' : ''} ${secrets.sort().join(', ')}`)
    for (const name of names) {
      seen.add(name)
      lines.push(`${name}=`)
    }
  }
  return `${lines.join('\n')}\n`
}
