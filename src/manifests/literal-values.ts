/**
 * Refuses secret values written into a manifest. The manifests live in git, so `TOKEN: abc123`
 * or `TOKEN: {value: abc123}` is an error of its own, reported before the schema would call it
 * a type mismatch, and the message never repeats the value.
 */
import type {ManifestProblem} from '../errors.js'
import {problemAt} from './problems.js'
import type {ParsedDocument} from './positions.js'
import {keySources, sourceFieldList} from '../sources/registry.js'

const LITERAL_FIELDS = ['value', 'literal']
const message = () => `literal secret value: manifests live in git; use ${sourceFieldList()}`
const HINT = 'remove the value from the file (and from git history), then rotate it'

export interface LiteralCheck {
  problems: ManifestProblem[]
  /** Field paths already reported here, for the schema check to leave alone. */
  reported: string[][]
}

/** Looks at a Secret document's `data` entries. */
export function checkLiteralValues(doc: ParsedDocument): LiteralCheck {
  const problems: ManifestProblem[] = []
  const reported: string[][] = []
  const data = (doc.value as Record<string, unknown>).data
  if (!isRecord(data)) return {problems, reported}
  for (const [key, source] of Object.entries(data)) {
    if (source === null || source === undefined) {
      problems.push(
        problemAt(
          doc,
          ['data', key],
          `no value source: give one of ${keySources()
            .map((s) => s.field)
            .join(', ')}`,
          {
            on: 'key',
            hint: 'drop data for a placement-only secret',
          },
        ),
      )
      reported.push(['data', key])
    } else if (typeof source !== 'object' || source instanceof Date) {
      problems.push(problemAt(doc, ['data', key], message(), {hint: HINT}))
      reported.push(['data', key])
    } else if (isRecord(source)) {
      const field = LITERAL_FIELDS.find((f) => f in source)
      if (field) {
        problems.push(problemAt(doc, ['data', key, field], message(), {hint: HINT}))
        reported.push(['data', key])
      }
    }
  }
  return {problems, reported}
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
