/**
 * Validates a document against its kind's JSON Schema (ajv, all errors) and turns ajv's errors
 * into ManifestProblems a human reads: positioned on the offending node, phrased as
 * `unknown field "foo"` or `must be one of A, B, C`, one problem per field.
 * No message repeats the document's values, only field names and what the schema allows.
 */
import type {ErrorObject, ValidateFunction} from 'ajv'
import type {ManifestProblem} from '../errors.js'
import type {ManifestKind} from './kinds.js'
import {problemAt} from './problems.js'
import type {ParsedDocument} from './positions.js'

export type SchemaName = ManifestKind | 'ProjectConfig'

export type Validators = Record<SchemaName, ValidateFunction>

let validators: Validators | undefined
let loading: Promise<void> | undefined

/**
 * Loads the validators: those `npm run build` precompiled (ajv standalone code, scripts/write-validators.js),
 * so that a run neither loads ajv nor compiles the schemas (a fifth of a short command's CPU time); from the
 * sources (tests), where there are none, the schemas compiled by ajv. Awaited before the first validateSchema.
 */
export function loadValidators(): Promise<void> {
  loading ??= (async () => {
    try {
      // @ts-expect-error: written next to the built module by `npm run build`; absent in the sources.
      validators = (await import('./manifest-validators.js')) as unknown as Validators
    } catch {
      validators = (await import('./compile-validators.js')).compileValidators()
    }
  })()
  return loading
}

function validator(name: SchemaName): ValidateFunction {
  if (!validators) throw new Error('validateSchema before loadValidators()')
  return validators[name]
}

/**
 * Problems of `doc` against the schema `name`. Errors at or below a path in `skip` are dropped
 * (another check has already reported something better there).
 */
export function validateSchema(name: SchemaName, doc: ParsedDocument, skip: readonly string[][] = []): ManifestProblem[] {
  const validate = validator(name)
  if (validate(doc.value)) return []
  const seen = new Map<string, {rank: number; problem: ManifestProblem}>()
  const errors = validate.errors ?? []
  // An unknown field also breaks "exactly one field": the unknown field is the one mistake.
  const withUnknown = new Set(errors.filter((e) => e.keyword === 'additionalProperties').map((e) => e.instancePath))
  for (const error of errors) {
    if (error.keyword === 'maxProperties' && withUnknown.has(error.instancePath)) continue
    const mapped = mapError(error, doc)
    if (!mapped) continue
    if (skip.some((s) => s.length <= mapped.segments.length && s.every((seg, i) => mapped.segments[i] === seg))) continue
    const key = mapped.segments.join('\u0000')
    const rank = RANK[error.keyword] ?? 50
    const previous = seen.get(key)
    if (!previous || rank < previous.rank) seen.set(key, {rank, problem: mapped.problem})
  }
  // A field whose parent already has a problem (e.g. wrong type) gets no second one.
  const keys = [...seen.keys()]
  return keys
    .filter(
      (k) => !keys.some((other) => other !== k && other !== '' && k.startsWith(other + '\u0000') && seen.get(other)!.rank <= RANK.type!),
    )
    .map((k) => seen.get(k)!.problem)
}

/** Lower wins when two errors land on the same field. */
const RANK: Record<string, number> = {
  type: 0,
  required: 1,
  additionalProperties: 1,
  pattern: 5,
  const: 10,
  enum: 10,
  minProperties: 20,
  maxProperties: 20,
}

function mapError(error: ErrorObject, doc: ParsedDocument): {segments: string[]; problem: ManifestProblem} | undefined {
  const base = pointerSegments(error.instancePath)
  const parent = (error.parentSchema ?? {}) as Record<string, unknown>
  switch (error.keyword) {
    case 'if':
    case 'propertyNames': // its inner error (below, with propertyName) says it better
    case 'oneOf':
    case 'anyOf':
    case 'allOf':
      return undefined
    case 'required': {
      const field = String((error.params as {missingProperty: string}).missingProperty)
      const segments = [...base, field]
      // Pointed at the mapping that lacks it (the document start for a top-level field).
      const problem = {...problemAt(doc, base, `missing required field "${field}"`), field: segments.join('.')}
      return {segments, problem}
    }
    case 'additionalProperties': {
      const field = String((error.params as {additionalProperty: string}).additionalProperty)
      const segments = [...base, field]
      const allowed = Object.keys((parent.properties ?? {}) as object)
      const hint = allowed.length
        ? `allowed fields: ${allowed.join(', ')}`
        : typeof parent.description === 'string'
          ? asHint(parent.description)
          : 'this mapping takes no fields'
      return {segments, problem: problemAt(doc, segments, `unknown field "${field}"`, {on: 'key', hint})}
    }
  }
  if (error.propertyName !== undefined) {
    const segments = [...base, error.propertyName]
    const why = typeof parent.patternErrorMessage === 'string' ? parent.patternErrorMessage : `must match ${String(parent.pattern)}`
    return {segments, problem: problemAt(doc, segments, `invalid key "${error.propertyName}": ${why}`, {on: 'key'})}
  }
  return {segments: base, problem: problemAt(doc, base, describe(error, parent))}
}

function describe(error: ErrorObject, parent: Record<string, unknown>): string {
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'type':
      return `must be ${typeName(params.type)}`
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}`
    case 'const':
      return `must be ${String(params.allowedValue)}`
    case 'pattern':
      return typeof parent.patternErrorMessage === 'string' ? parent.patternErrorMessage : `must match ${String(params.pattern)}`
    case 'minLength':
      return params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters`
    case 'maxLength':
      return `must be at most ${String(params.limit)} characters`
    case 'minimum':
      return `must be at least ${String(params.limit)}`
    case 'maximum':
      return `must be at most ${String(params.limit)}`
    case 'minProperties':
    case 'maxProperties':
      return typeof parent.errorMessage === 'string'
        ? parent.errorMessage
        : `must have ${error.keyword === 'minProperties' ? 'at least' : 'at most'} ${String(params.limit)} fields`
    case 'false schema':
      return 'is not allowed here'
    default:
      return typeof parent.errorMessage === 'string' ? parent.errorMessage : (error.message ?? 'is invalid')
  }
}

/** A schema description read as a hint: `A backend of this kind takes no configuration.` → `a backend …`. */
function asHint(description: string): string {
  return (description.charAt(0).toLowerCase() + description.slice(1)).replace(/\.$/, '')
}

function typeName(type: unknown): string {
  const one = (t: string): string =>
    ({
      object: 'a mapping',
      array: 'a list',
      string: 'a string',
      boolean: 'true or false',
      integer: 'a whole number',
      number: 'a number',
      null: 'empty',
    })[t] ?? t
  return Array.isArray(type) ? type.map((t) => one(String(t))).join(' or ') : one(String(type))
}

/** `/data/A~1B/fromEnv` → `['data', 'A/B', 'fromEnv']`. */
function pointerSegments(pointer: string): string[] {
  if (!pointer) return []
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}
