/**
 * Building ManifestProblems that point into a document, and putting a run's problems in a stable
 * order. Messages are built from names, keys and paths only, never from a value.
 */
import type {ManifestProblem} from '../errors.js'
import {fieldPosition, placedFieldPosition, type ParsedDocument, type PlacedDocument} from './positions.js'

/** `['data', 'TOKEN', 'fromEnv']` → `data.TOKEN.fromEnv`. */
export function dotted(segments: readonly string[]): string {
  return segments.join('.')
}

export function problemAt(
  doc: ParsedDocument | PlacedDocument,
  segments: readonly string[],
  message: string,
  opts: {hint?: string; on?: 'key' | 'value'} = {},
): ManifestProblem {
  const at = 'value' in doc ? fieldPosition(doc, segments, opts.on) : placedFieldPosition(doc, segments)
  return {file: at.file, line: at.line, column: at.column, field: dotted(segments), message, ...(opts.hint ? {hint: opts.hint} : {})}
}

/** By file, line, column; problems at the same place keep their order. */
export function sortProblems(problems: ManifestProblem[]): ManifestProblem[] {
  return [...problems].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column))
}
