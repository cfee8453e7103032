/**
 * A manifest file's documents read the quick way: js-yaml, without syntax trees or positions, about
 * seven times faster than parse-documents.ts (`yaml` with a node per scalar and its range), which was
 * most of the time a plan or an apply of thousands of secrets spent before any work
 * (docs/performance.md, "A seventh round"). Positions are needed only to point a message at
 * file:line: each document knows where it starts, and its fields' positions are worked out from
 * the file, with `yaml`, the first time one is asked for.
 *
 * Quick only where both parsers read the file alike. The file is left to parse-documents.ts (the
 * caller's slow path) when it uses what the two read differently or what the quick reader does not
 * check: tags, anchors and aliases, directives, complex keys, tabs, a byte order mark, content on a
 * `---` line, a quote followed by `#`; when a value is a number, or a string or key that YAML 1.2's
 * core schema could read as one (js-yaml reads `0b11` as 3 and `-.5` as a string, `yaml` the reverse);
 * when a key is a null or longer than 1,024 characters; when a document is not a mapping; and when
 * js-yaml finds an error or counts the documents differently. The loader also reads a file again
 * with parse-documents.ts when any problem is found, so that every message is the one it always was.
 */
import {CORE_SCHEMA, loadAll} from 'js-yaml'
import {isMap} from 'yaml'
import type {SourcePosition} from '../errors.js'
import {FieldPositions, type DeferredPositions} from './field-positions.js'
import {composeDocuments} from './parse-documents.js'
import {treeFieldPositions, type ParsedDocument} from './positions.js'

/** What only the slow path reads right: node properties and aliases, directives, complex keys, tabs, `"#`, a marker with content. */
const SLOW_SYNTAX = /(?:^|[\s,[{])[&*!]|^%|(?:^|[\s,[{])\?(?:\s|$)|\t|["']#|^(?:---|\.\.\.)[ ]+[^#\s]/m

/** YAML 1.2 core schema numbers, as `yaml` resolves plain scalars (yaml/dist/schema/core). */
const CORE_NUMBER =
  /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/

/** `yaml`'s limit on an implicit key; js-yaml has none. */
const MAX_KEY_LENGTH = 1024

/**
 * The file's documents, in order, with their starts and deferred field positions; undefined when
 * the file must be read by parse-documents.ts. Empty documents are left out, as parse-documents.ts
 * leaves them out.
 */
export function readDocumentsQuickly(file: string, absPath: string, text: string): ParsedDocument[] | undefined {
  if (text.charCodeAt(0) === 0xfeff || SLOW_SYNTAX.test(text)) return undefined
  const values: unknown[] = []
  try {
    loadAll(text, (value) => values.push(value), {schema: CORE_SCHEMA})
  } catch {
    return undefined
  }
  const starts = documentStarts(file, text)
  if (starts.length !== values.length) return undefined
  const positions = new FilePositions(file, text)
  const docs: ParsedDocument[] = []
  for (let index = 0; index < values.length; index++) {
    const value = values[index]
    if (value === null || value === undefined) continue
    const at = starts[index]
    if (!at || !isPlainMapping(value) || !readAlike(value)) return undefined
    docs.push({file, absPath, value, at, fields: FieldPositions.deferred(file, positions, index)})
  }
  return docs
}

function isPlainMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Whether `yaml` reads this value as js-yaml did: strings, booleans and nulls that no core-schema number could be. */
function readAlike(value: unknown): boolean {
  if (typeof value === 'string') return !CORE_NUMBER.test(value)
  if (value === null || typeof value === 'boolean') return true
  if (Array.isArray(value)) return value.every(readAlike)
  if (!isPlainMapping(value)) return false // a number, or a type the core schema does not make
  for (const key in value) {
    // js-yaml writes a null key as "null", `yaml` as "".
    if (key === 'null' || key.length > MAX_KEY_LENGTH || CORE_NUMBER.test(key) || !readAlike(value[key])) return false
  }
  return true
}

/**
 * Where each document's content starts (undefined for an empty one), counting documents as YAML
 * does: `---` starts one, `...` ends one, and content after an end starts one without a marker.
 * Lines that are blank or only a comment are not content. Exact for the files readDocumentsQuickly
 * takes (no directive, nothing after a marker but a comment); its count is checked against js-yaml's.
 */
function documentStarts(file: string, text: string): Array<SourcePosition | undefined> {
  const starts: Array<SourcePosition | undefined> = []
  let open = false
  let line = 0
  for (let from = 0; from <= text.length; line++) {
    let to = text.indexOf('\n', from)
    if (to === -1) to = text.length
    const start = from
    from = to + 1
    let first = start
    while (first < to && text.charCodeAt(first) === 0x20) first++
    if (first === to || text.charCodeAt(first) === 0x23 /* # */ || (first === to - 1 && text.charCodeAt(first) === 0x0d)) continue
    const marker = first === start && to - start >= 3 ? text.slice(start, start + 3) : ''
    if ((marker === '---' || marker === '...') && (to - start === 3 || /\s/.test(text.charAt(start + 3)))) {
      if (marker === '---') starts.push(undefined)
      open = marker === '---'
      continue
    }
    if (!open) {
      starts.push(undefined)
      open = true
    }
    if (starts[starts.length - 1] === undefined) starts[starts.length - 1] = {file, line: line + 1, column: first - start + 1}
  }
  return starts
}

/**
 * The field positions of every document of one file, worked out with `yaml` (one document's syntax
 * tree at a time) the first time any is asked for, then kept; the file's text is dropped then.
 */
class FilePositions implements DeferredPositions {
  #text: string | undefined
  #byIndex: FieldPositions[] | undefined

  constructor(
    readonly file: string,
    text: string,
  ) {
    this.#text = text
  }

  fieldsOf(index: number): FieldPositions {
    if (!this.#byIndex) {
      this.#byIndex = documentFieldPositions(this.file, this.#text as string)
      this.#text = undefined
    }
    return this.#byIndex[index] ?? FieldPositions.none
  }
}

function documentFieldPositions(file: string, text: string): FieldPositions[] {
  const {lines, documents} = composeDocuments(text)
  const out: FieldPositions[] = []
  for (const doc of documents) {
    const root = doc.contents
    out.push(root && isMap(root) ? treeFieldPositions(file, {lines, root}) : FieldPositions.none)
  }
  return out
}
