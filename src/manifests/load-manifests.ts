/**
 * Loads a manifests directory into the desired model: discover the files, parse their YAML
 * documents, validate each against its kind's schema, check what spans documents, and build
 * the model. Every problem of the run is collected and thrown together as one ManifestErrors.
 * A YAML file that a value source says is its value file (a SOPS-encrypted `secrets/app.enc.yaml`,
 * whose documents carry a top-level `sops:` block) is not a manifest: it is listed apart, and left
 * out of the manifests digest (its values are checked by their fingerprints, as every source's are).
 */
import {readFile, stat} from 'node:fs/promises'
import path from 'node:path'
import {ManifestErrors, UsageError, type ManifestProblem} from '../errors.js'
import type {BackendManifest, DesiredModel, SecretManifest} from './types.js'
import {compareCodeUnits, discoverFiles} from './discover-files.js'
import {parseDocuments} from './parse-documents.js'
import {readDocumentsQuickly} from './quick-documents.js'
import {KIND_NAMES, matchKind} from './kinds.js'
import {checkLiteralValues} from './literal-values.js'
import {loadValidators, validateSchema} from './validate-schema.js'
import {buildBackend, checkBackendDocument} from './build-backend.js'
import {buildSecret, checkSecretDocument} from './build-secret.js'
import {backendDeclaration, secretDeclaration} from './declarations.js'
import {checkSemantics, type BackendDeclaration, type SecretDeclaration} from './check-semantics.js'
import {parseProjectConfig} from './project-config.js'
import {manifestsDigest} from './digest.js'
import {problemAt, sortProblems} from './problems.js'
import {fileRoots} from '../sources/resolve-values.js'
import {selectEnvironment, type Environment, type EnvironmentChoice} from '../environments/environment.js'
import {interpolateDocument} from '../environments/interpolate.js'
import type {ParsedDocument} from './positions.js'
import {valueDocumentFormat} from '../sources/registry.js'

/**
 * Loads the manifests of `dir` for an environment (`--env` / SECRETCTL_ENV, else the default; none
 * without `environments:`). `onRead` is told how many bytes the files hold before they are parsed.
 */
export async function loadManifests(dir: string, choice: EnvironmentChoice = {}, onRead?: (bytes: number) => void): Promise<DesiredModel> {
  const root = path.resolve(dir)
  const info = await stat(root).catch(() => undefined)
  if (!info) throw new UsageError(`manifests directory ${dir} does not exist`, 'pass the directory with -d DIR')
  if (!info.isDirectory()) throw new UsageError(`manifests directory ${dir} is not a directory`, 'pass the directory with -d DIR')

  const problems: ManifestProblem[] = []
  const found = await discoverFiles(root)
  for (const {file, reason} of found.refused) {
    problems.push({
      file,
      line: 1,
      column: 1,
      field: '',
      message: `${reason}: not read`,
      hint: 'keep manifests inside the manifests directory (a link inside it is followed)',
    })
  }
  const contents = new Map<string, Buffer>()
  for (const file of [...found.configs, ...found.manifests]) {
    try {
      contents.set(file, await readFile(path.join(root, file)))
    } catch (error) {
      problems.push({
        file,
        line: 1,
        column: 1,
        field: '',
        message: `cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      })
    }
  }
  onRead?.([...contents.values()].reduce((sum, content) => sum + content.length, 0))
  return buildModel(root, {configs: found.configs, manifests: found.manifests}, contents, problems, choice)
}

/**
 * The desired model of manifest texts that are not (yet) files, e.g. what the bootstrap wizard is
 * about to write: validated like files in `dir`, with `dir`'s project configuration.
 */
export async function loadManifestTexts(
  dir: string,
  texts: {file: string; text: string}[],
  choice: EnvironmentChoice = {},
): Promise<DesiredModel> {
  const root = path.resolve(dir)
  const found = await discoverFiles(root)
  const contents = new Map<string, Buffer>()
  const problems: ManifestProblem[] = []
  for (const file of found.configs) contents.set(file, await readFile(path.join(root, file)))
  for (const {file, text} of texts) contents.set(file, Buffer.from(text))
  return buildModel(root, {configs: found.configs, manifests: texts.map((t) => t.file)}, contents, problems, choice)
}

async function buildModel(
  root: string,
  found: {configs: string[]; manifests: string[]},
  contents: Map<string, Buffer>,
  problems: ManifestProblem[],
  choice: EnvironmentChoice,
): Promise<DesiredModel> {
  // Quickly first (quick-documents.ts). A quickly read document cannot point at its fields exactly:
  // when anything is wrong, the files are read again with their syntax trees, for the messages.
  if (problems.length === 0) {
    try {
      return await buildModelReading(root, found, contents, [], choice, true)
    } catch (error) {
      if (!(error instanceof ManifestErrors)) throw error
    }
  }
  return buildModelReading(root, found, contents, problems, choice, false)
}

async function buildModelReading(
  root: string,
  found: {configs: string[]; manifests: string[]},
  contents: Map<string, Buffer>,
  problems: ManifestProblem[],
  choice: EnvironmentChoice,
  quickly: boolean,
): Promise<DesiredModel> {
  await loadValidators()
  const read = (files: string[]) =>
    files.flatMap((file) => {
      const content = contents.get(file)
      return content ? [{file, absPath: path.join(root, file), text: content.toString('utf8')}] : []
    })

  const project = parseProjectConfig(read(found.configs))
  problems.push(...project.problems)
  // A broken secretctl.yaml cannot say which environments exist: its problems are reported with the rest.
  const environment = project.problems.length ? null : selectEnvironment(project.config, choice)
  const declaredEnvironments = Object.keys(project.config.environments ?? {})
  const roots = fileRoots({dir: root, config: project.config})

  const backends: BackendManifest[] = []
  const secrets: SecretManifest[] = []
  const backendDecls: BackendDeclaration[] = []
  const secretDecls: SecretDeclaration[] = []
  const valueFiles = new Map<string, string>()
  for (const {file, absPath, text} of read(found.manifests)) {
    const documents = (quickly && readDocumentsQuickly(file, absPath, text)) || parseDocuments(file, absPath, text, problems)
    for (const doc of documents) {
      const value = doc.value as Record<string, unknown>
      const valueFormat = valueDocumentFormat(value)
      if (valueFormat) {
        valueFiles.set(file, valueFormat)
        continue
      }
      const kind = matchKind(value.kind)
      if (!kind) {
        problems.push(
          value.kind === undefined
            ? problemAt(doc, [], 'missing required field "kind"', {hint: `kinds: ${KIND_NAMES.join(', ')}`})
            : problemAt(
                doc,
                ['kind'],
                `unknown kind ${typeof value.kind === 'string' ? `"${value.kind.slice(0, 60)}"` : '(not a string)'}`,
                {hint: `kinds: ${KIND_NAMES.join(', ')}`},
              ),
        )
        continue
      }
      if (!inEnvironment(doc, environment, declaredEnvironments, problems)) continue
      const uninterpolated = problems.slice(problems.length - interpolateDocument(doc, kind, environment, problems))
      const literals = kind === 'Secret' ? checkLiteralValues(doc) : {problems: [], reported: []}
      // A field left as written because its placeholder failed is reported once, for that, not again by the schema.
      const failed = uninterpolated.map((p) => p.field)
      const schemaProblems = [...literals.problems, ...validateSchema(kind, doc, literals.reported)].filter(
        (p) => !failed.some((f) => p.field === f || p.field.startsWith(`${f}.`)),
      )
      const reported = new Set([...schemaProblems, ...uninterpolated].map((p) => p.field))
      const valid = schemaProblems.length === 0 && uninterpolated.length === 0
      problems.push(...schemaProblems)
      if (kind === 'SecretBackend') {
        problems.push(...checkBackendDocument(doc).filter((p) => !reported.has(p.field)))
        const built = valid ? buildBackend(doc) : undefined
        if (built) backends.push(built)
        const decl = backendDeclaration(doc, built, reported)
        if (decl) backendDecls.push(decl)
      } else {
        problems.push(...checkSecretDocument(doc).filter((p) => !reported.has(p.field)))
        const built = valid ? await buildSecret(doc, roots) : undefined
        if (built) {
          problems.push(...built.problems)
          secrets.push(built.manifest)
        }
        const decl = secretDeclaration(doc, built, reported)
        if (decl) secretDecls.push(decl)
      }
    }
  }
  problems.push(...checkSemantics(backendDecls, secretDecls))
  if (problems.length > 0) throw new ManifestErrors(sortProblems(problems))

  const files = [...contents.keys()].filter((file) => !valueFiles.has(file)).sort(compareCodeUnits)
  return {
    dir: root,
    environment,
    backends,
    secrets,
    config: project.config,
    digest: manifestsDigest(files.map((file) => ({file, content: contents.get(file) as Buffer}))),
    files,
    valueFiles: [...valueFiles.keys()].sort(compareCodeUnits).map((file) => ({file, format: valueFiles.get(file) as string})),
  }
}

/**
 * Whether a document exists in the selected environment (`environments: [staging, production]`);
 * every name it lists must be declared in secretctl.yaml.
 */
function inEnvironment(doc: ParsedDocument, env: Environment | null, declared: string[], problems: ManifestProblem[]): boolean {
  const listed = (doc.value as {environments?: unknown}).environments
  if (!Array.isArray(listed)) return true
  const unknown = listed.filter((name) => typeof name === 'string' && !declared.includes(name))
  if (unknown.length) {
    const hint = declared.length ? `declared environments: ${declared.join(', ')}` : 'declare environments in secretctl.yaml first'
    problems.push(problemAt(doc, ['environments'], `no environment named ${unknown.join(', ')}`, {hint}))
    return false
  }
  return env === null || listed.includes(env.name)
}
