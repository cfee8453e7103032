/**
 * `secretctl validate`: the manifests load for the environment, every value source can be read, and
 * the environment's env files keep the `.env.example` contract; no state, no backend.
 * It also says what it found beside the manifests: the YAML files that are value files, not
 * manifests (SOPS-encrypted; a warning for one no manifest references), and for each encrypted
 * file a source opened its format, recipients, whether this machine decrypts it and whether its
 * integrity check held.
 */
import path from 'node:path'
import {ManifestErrors, type ManifestProblem} from '../errors.js'
import {sortProblems} from '../manifests/problems.js'
import {checkEnvExample} from '../environments/env-example.js'
import {environmentChoice} from '../workspace/environment-state.js'
import {loadManifests} from '../manifests/load-manifests.js'
import type {DesiredModel} from '../manifests/types.js'
import {sourceKind} from '../sources/registry.js'
import {resolveValues} from '../sources/resolve-values.js'
import type {ValueFileReport} from '../sources/source-kind.js'

export type {ValueFileReport} from '../sources/source-kind.js'

export interface ValidationSummary {
  /** The environment validated; null without environments. */
  environment: string | null
  backends: number
  secrets: number
  /** Manifest files read. */
  files: number
  /** YAML files among the manifests that are value files, not manifests (relative paths), with their format. */
  valueFiles: Array<{file: string; format: string}>
  /** Every encrypted file a value source opened, by path. */
  encryptedFiles: ValueFileReport[]
  /** Notes that are not errors: a value file no manifest references, a name .env.example does not list. */
  warnings: string[]
}

export interface ValidateRequest {
  dir: string
  environment?: string
  env: NodeJS.ProcessEnv
  /** Report files this machine cannot decrypt instead of failing on them. */
  allowUndecryptable?: boolean
}

export async function validateManifests(req: ValidateRequest): Promise<ValidationSummary> {
  const desired = await loadManifests(req.dir, environmentChoice(req))
  const reports = new Map<string, ValueFileReport>()
  const problems: ManifestProblem[] = []
  await resolveValues(desired, {
    env: req.env,
    allowUndecryptable: req.allowUndecryptable ?? false,
    describeFile: (report) => reports.set(report.file, report),
  }).catch((err: unknown) => {
    if (!(err instanceof ManifestErrors)) throw err
    problems.push(...err.problems)
  })
  const contract = checkEnvExample(desired)
  problems.push(...contract.errors)
  if (problems.length) throw new ManifestErrors(sortProblems(problems))
  const referenced = referencedFiles(desired)
  const valueFiles = desired.valueFiles ?? []
  return {
    environment: desired.environment?.name ?? null,
    backends: desired.backends.length,
    secrets: desired.secrets.length,
    files: desired.files.length,
    valueFiles,
    encryptedFiles: [...reports.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)),
    warnings: [
      ...valueFiles
        .filter((v) => !referenced.has(v.file))
        .map((v) => `${v.file} is a ${v.format} value file that no manifest references (it is not a manifest)`),
      ...contract.warnings,
    ],
  }
}

/** The files the manifests' value sources read, relative to the manifests directory. */
function referencedFiles(desired: DesiredModel): Set<string> {
  const out = new Set<string>()
  const add = (abs: string | undefined) => {
    if (abs !== undefined) out.add(path.relative(desired.dir, abs).split(path.sep).join('/'))
  }
  for (const secret of desired.secrets) {
    for (const file of secret.fileSources) add(file.path)
    for (const source of Object.values(secret.data)) add(sourceKind(source.kind).valueFile?.(source))
  }
  return out
}
