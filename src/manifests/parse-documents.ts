/**
 * Splits one file into its YAML documents with source positions. Broken YAML is reported at the
 * parser's position (never with a code frame: that would print the file's text); empty
 * documents are skipped; a document that is not a mapping cannot be a manifest.
 */
import {Composer, type Document, isMap, isScalar, LineCounter, Parser} from 'yaml'
import type {ManifestProblem} from '../errors.js'
import {positionAt, type TreeDocument} from './positions.js'

/**
 * The file's documents, one at a time as the parser completes them, so that a file of thousands
 * of documents never holds all their syntax trees at once. Problems go into `problems`.
 */
export function* parseDocuments(file: string, absPath: string, text: string, problems: ManifestProblem[]): Generator<TreeDocument> {
  const {lines, documents} = composeDocuments(text)
  for (const doc of documents) {
    if (doc.errors.length > 0) {
      // One mistake often trips several parser errors at the same place: report the first.
      const places = new Set<string>()
      for (const error of doc.errors) {
        const at = positionAt(file, lines, error.pos[0])
        if (places.has(`${at.line}:${at.column}`)) continue
        places.add(`${at.line}:${at.column}`)
        problems.push({...at, field: '', message: `invalid YAML: ${yamlMessage(error.message)}`})
      }
      continue
    }
    const root = doc.contents
    if (!root || (isScalar(root) && (root.value === null || root.value === undefined))) continue
    const at = positionAt(file, lines, root.range[0])
    if (!isMap(root)) {
      problems.push({...at, field: '', message: 'a document must be a YAML mapping of fields (kind, name, …)'})
      continue
    }
    let value: unknown
    try {
      value = doc.toJS({maxAliasCount: 100})
    } catch (error) {
      problems.push({...at, field: '', message: `invalid YAML: ${yamlMessage((error as Error).message)}`})
      continue
    }
    yield {file, absPath, tree: {lines, root}, value, at}
  }
}

/**
 * The file's YAML documents as `yaml` composes them, every one (empty and broken ones too), one
 * syntax tree at a time, and the line counter their ranges are read with.
 */
export function composeDocuments(text: string): {lines: LineCounter; documents: Generator<Document.Parsed>} {
  const lines = new LineCounter()
  const composer = new Composer({prettyErrors: false, uniqueKeys: true})
  return {lines, documents: composer.compose(new Parser(lines.addNewLine).parse(text), false, text.length)}
}

/** The parser's message, first line only, lower-cased start to read as part of ours. */
function yamlMessage(message: string): string {
  const first = message
    .split('\n')[0]!
    .replace(/ at line \d+, column \d+.*$/, '')
    .trim()
  return first.charAt(0).toLowerCase() + first.slice(1)
}
