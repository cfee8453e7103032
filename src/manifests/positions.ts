/**
 * Source positions inside a parsed YAML document: turns offsets into 1-based line:column, finds
 * the node at a field path (for schema errors, which speak JSON pointers), and lists the position
 * of every field so later stages can point at file:line too.
 */
import {isMap, isPair, isScalar, isSeq, type LineCounter, type Node, type ParsedNode, type Pair} from 'yaml'
import type {SourcePosition} from '../errors.js'
import {FieldPositions} from './field-positions.js'

/** One YAML document of a manifest file, with what is needed to point into it. */
export interface ParsedDocument {
  /** File path relative to the manifests directory. */
  file: string
  /** Absolute path of the file. */
  absPath: string
  /**
   * The syntax tree, to point at any node; absent for a document read quickly (quick-documents.ts),
   * which knows where it starts and finds its fields' positions only when one is asked for.
   */
  tree?: DocumentTree
  /** A quickly read document's field positions, worked out when first asked for. */
  fields?: FieldPositions
  /** The document as plain data. */
  value: unknown
  /** Where the document's content starts. */
  at: SourcePosition
}

export interface DocumentTree {
  lines: LineCounter
  /** The document's top node (a mapping for a well-formed manifest). */
  root: ParsedNode
}

/** A document read with its syntax tree (parse-documents.ts). */
export type TreeDocument = ParsedDocument & {tree: DocumentTree}

/**
 * What the checks across documents keep of one: where it starts and where its fields are, without
 * its syntax tree (thousands of those held to the end of a load were most of its memory).
 */
export interface PlacedDocument {
  file: string
  at: SourcePosition
  /** Dotted path → position, as `fieldPositions` gives them. */
  fields: FieldPositions
}

export function placeOf(doc: ParsedDocument, fields: FieldPositions = fieldPositions(doc)): PlacedDocument {
  return {file: doc.file, at: doc.at, fields}
}

/** A field's position, else its nearest parent's, else the document's. */
export function placedFieldPosition(place: PlacedDocument, segments: readonly string[]): SourcePosition {
  for (let n = segments.length; n > 0; n--) {
    const found = place.fields.get(segments.slice(0, n).join('.'))
    if (found) return found
  }
  return place.at
}

export function positionAt(file: string, lines: LineCounter, offset: number): SourcePosition {
  const {line, column} = lineAndColumn(lines, offset)
  return {file, line, column}
}

function lineAndColumn(lines: LineCounter, offset: number): {line: number; column: number} {
  const {line, col} = lines.linePos(offset)
  return {line: Math.max(line, 1), column: Math.max(col, 1)}
}

interface Located {
  /** The key node of the last segment, when it is a mapping entry. */
  key?: Node
  /** The value node of the last segment. */
  value?: Node
  /** The deepest node that exists on the path (the parent when the field is missing). */
  nearest: Node
}

/** Walks `segments` (mapping keys or sequence indexes) from the document's root. */
export function locate(doc: TreeDocument, segments: readonly string[]): Located {
  let node: Node = doc.tree.root
  let key: Node | undefined
  for (const segment of segments) {
    const next = child(node, segment)
    if (!next) return {nearest: node}
    key = next.key
    if (!next.value) return {key, nearest: key ?? node}
    node = next.value
  }
  return {key, value: node, nearest: node}
}

function child(node: Node, segment: string): {key?: Node; value?: Node} | undefined {
  if (isMap(node)) {
    const pair = node.items.find((p) => keyText(p) === segment)
    if (!pair) return undefined
    return {key: isScalar(pair.key) ? pair.key : undefined, value: (pair.value as Node | null) ?? undefined}
  }
  if (isSeq(node) && /^\d+$/.test(segment)) {
    const item = node.items[Number(segment)] as Node | undefined
    return item ? {value: item} : undefined
  }
  return undefined
}

function keyText(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
}

/** Position of a field: its key (`on: 'key'`) or its value, falling back to the nearest node. */
export function fieldPosition(doc: ParsedDocument, segments: readonly string[], on: 'key' | 'value' = 'value'): SourcePosition {
  // A quickly read document's problems are never shown: the loader reads the file again, with its
  // syntax trees, when it finds any problem (load-manifests.ts), so that every message points exactly.
  if (segments.length === 0 || !doc.tree) return doc.at
  const found = locate(doc as TreeDocument, segments)
  const node = on === 'key' ? (found.key ?? found.value ?? found.nearest) : (found.value ?? found.key ?? found.nearest)
  if (node === doc.tree.root) return doc.at
  return node.range ? positionAt(doc.file, doc.tree.lines, node.range[0]) : doc.at
}

/** Dotted path → position (of the value, or of the key when the value is empty) for every field. */
export function fieldPositions(doc: ParsedDocument): FieldPositions {
  return doc.tree ? treeFieldPositions(doc.file, doc.tree) : (doc.fields ?? FieldPositions.none)
}

/** The same, from a document's syntax tree. */
export function treeFieldPositions(file: string, {lines, root}: DocumentTree): FieldPositions {
  const out: Array<[string, {line: number; column: number}]> = []
  const visit = (node: Node, prefix: string): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const path = prefix ? `${prefix}.${keyText(pair)}` : keyText(pair)
        const value = pair.value as Node | null
        const at = (value?.range ? value : isPair(pair) && isScalar(pair.key) ? pair.key : undefined)?.range
        if (at) out.push([path, lineAndColumn(lines, at[0])])
        if (value) visit(value, path)
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const path = prefix ? `${prefix}.${i}` : String(i)
        const range = (item as Node | null)?.range
        if (range) out.push([path, lineAndColumn(lines, range[0])])
        if (item) visit(item as Node, path)
      })
    }
  }
  visit(root, '')
  return FieldPositions.of(file, out)
}
