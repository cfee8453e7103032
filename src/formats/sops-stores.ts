/**
 * Reads a SOPS file's text (YAML, JSON or dotenv) into the ordered tree sops works on and the raw
 * `sops` metadata, the way getsops/sops `stores/{yaml,json,dotenv}/store.go` load an encrypted
 * file: key order kept (the MAC covers it), duplicate keys kept, comments dropped (they are not
 * in the MAC), every YAML document a branch, JSON numbers as floats, dotenv split at the first
 * `=` with no trimming and `\n` decoded, metadata from the `sops_…` lines unflattened
 * (`stores/flatten.go`). Each leaf remembers its line, for errors.
 */
import {type Node as JsonNode, type ParseError, parseTree, printParseErrorCode} from 'jsonc-parser'
import {isAlias, isMap, isScalar, isSeq, LineCounter, type Node as YamlNode, parseAllDocuments} from 'yaml'
import {EncryptedFileError} from './format-errors.js'

export type SopsFormat = 'yaml' | 'json' | 'dotenv'

export interface SopsLeaf {
  kind: 'leaf'
  /** As read: a string (every encrypted value is one), bigint (YAML int), number (float), boolean or null. */
  value: string | bigint | number | boolean | null
  line?: number
}
export interface SopsList {
  kind: 'list'
  items: SopsNode[]
  line?: number
}
export interface SopsMap {
  kind: 'map'
  entries: Array<{key: string; value: SopsNode; line?: number}>
  line?: number
}
export type SopsNode = SopsLeaf | SopsList | SopsMap

export interface LoadedSopsFile {
  format: SopsFormat
  /** One map per document (YAML may hold several), without the `sops` key. */
  branches: SopsMap[]
  /** The `sops` metadata as plain data, or undefined when the file has none. */
  metadata: Record<string, unknown> | undefined
  /** Line of the `sops` key (YAML, JSON) or of the first `sops_` line (dotenv). */
  metadataLine?: number
}

/** The format by file name (`.yaml`/`.yml`, `.json`, `.env`), else by content. */
export function detectSopsFormat(file: string, text: string): SopsFormat {
  const lower = file.toLowerCase()
  if (/\.ya?ml$/.test(lower)) return 'yaml'
  if (lower.endsWith('.json')) return 'json'
  if (/(^|[/\\.])env$/.test(lower) || /(^|\/|\\)\.env(\.|$)/.test(lower)) return 'dotenv'
  const start = text.trimStart()
  if (start.startsWith('{')) return 'json'
  if (/^sops_(version|mac|lastmodified)=/m.test(text)) return 'dotenv'
  return 'yaml'
}

export function loadSopsFile(file: string, text: string, format: SopsFormat = detectSopsFormat(file, text)): LoadedSopsFile {
  if (format === 'json') return loadJson(file, text)
  if (format === 'dotenv') return loadDotenv(file, text)
  return loadYaml(file, text)
}

function loadYaml(file: string, text: string): LoadedSopsFile {
  const lc = new LineCounter()
  const docs = parseAllDocuments(text, {intAsBigInt: true, uniqueKeys: false, merge: false, lineCounter: lc, prettyErrors: false})
  const lineOf = (n: {range?: [number, number, number] | null} | null | undefined) => (n?.range ? lc.linePos(n.range[0]).line : undefined)
  // A stream that is not YAML at all comes back as one object (an EmptyStream has no documents).
  const list = Array.isArray(docs) ? docs : []
  const branches: SopsMap[] = []
  let metadata: Record<string, unknown> | undefined
  let metadataLine: number | undefined
  for (const doc of list) {
    const err = doc.errors[0]
    if (err) {
      throw new EncryptedFileError('malformed', file, `is not valid YAML (${err.code})`, {line: lc.linePos(err.pos[0]).line})
    }
    const convert = (node: unknown): SopsNode => {
      if (node === null || node === undefined) return {kind: 'leaf', value: null}
      if (isAlias(node)) return convert(node.resolve(doc))
      if (isScalar(node)) {
        const v = node.value
        if (v === null || typeof v === 'string' || typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') {
          return {kind: 'leaf', value: v, line: lineOf(node)}
        }
        throw new EncryptedFileError('malformed', file, 'holds a YAML value of a type SOPS does not read', {line: lineOf(node)})
      }
      if (isSeq(node)) return {kind: 'list', items: node.items.map(convert), line: lineOf(node)}
      if (isMap(node)) {
        const entries: SopsMap['entries'] = []
        for (const pair of node.items) {
          const k = isAlias(pair.key) ? pair.key.resolve(doc) : pair.key
          if (!isScalar(k) || typeof k.value !== 'string') {
            throw new EncryptedFileError('malformed', file, 'has a map key that is not a string; SOPS supports only string keys', {
              line: lineOf(k as YamlNode),
            })
          }
          entries.push({key: k.value, value: convert(pair.value), line: lineOf(k)})
        }
        return {kind: 'map', entries, line: lineOf(node)}
      }
      throw new EncryptedFileError('malformed', file, 'holds a YAML node SOPS does not read')
    }
    const root = convert(doc.contents)
    if (root.kind === 'leaf' && root.value === null) {
      branches.push({kind: 'map', entries: []})
      continue
    }
    if (root.kind !== 'map') throw new EncryptedFileError('malformed', file, 'is a YAML document that is not a map; SOPS files are maps')
    const sops = root.entries.find((e) => e.key === 'sops')
    if (sops && metadata === undefined) {
      const map = isMap(doc.contents) ? doc.contents : undefined
      const pair = map?.items.find((p) => isScalar(p.key) && p.key.value === 'sops')
      const js = pair?.value ? (pair.value as YamlNode).toJSON() : undefined
      metadata = plainObject(js) ?? {}
      metadataLine = sops.line
    }
    branches.push({kind: 'map', entries: root.entries.filter((e) => e.key !== 'sops'), line: root.line})
  }
  return {format: 'yaml', branches, metadata, metadataLine}
}

function loadJson(file: string, text: string): LoadedSopsFile {
  const errors: ParseError[] = []
  const tree = parseTree(text, errors, {disallowComments: true, allowTrailingComma: false, allowEmptyContent: false})
  const lineAt = lineIndex(text)
  if (errors.length > 0 || !tree) {
    const e = errors[0]
    throw new EncryptedFileError('malformed', file, `is not valid JSON (${e ? printParseErrorCode(e.error) : 'empty'})`, {
      line: e ? lineAt(e.offset) : undefined,
    })
  }
  if (tree.type !== 'object')
    throw new EncryptedFileError('malformed', file, 'is JSON whose top level is not an object; SOPS files are objects')
  const convert = (node: JsonNode): SopsNode => {
    const line = lineAt(node.offset)
    switch (node.type) {
      case 'object':
        return {
          kind: 'map',
          line,
          entries: (node.children ?? []).map((prop) => {
            const [k, v] = prop.children ?? []
            return {key: String(k?.value), value: v ? convert(v) : {kind: 'leaf', value: null}, line: lineAt(prop.offset)}
          }),
        }
      case 'array':
        return {kind: 'list', items: (node.children ?? []).map(convert), line}
      case 'string':
      case 'boolean':
        return {kind: 'leaf', value: node.value as string | boolean, line}
      case 'number':
        // encoding/json decodes every number into a float64: type:float, and FormatFloat in the MAC.
        return {kind: 'leaf', value: Number(node.value), line}
      default:
        return {kind: 'leaf', value: null, line}
    }
  }
  const root = convert(tree) as SopsMap
  const sopsProp = (tree.children ?? []).find((p) => p.children?.[0]?.value === 'sops')
  const metadata = sopsProp?.children?.[1] ? plainObject(jsonValue(sopsProp.children[1])) : undefined
  return {
    format: 'json',
    branches: [{kind: 'map', entries: root.entries.filter((e) => e.key !== 'sops'), line: root.line}],
    metadata: sopsProp ? (metadata ?? {}) : undefined,
    metadataLine: sopsProp ? lineAt(sopsProp.offset) : undefined,
  }
}

function jsonValue(node: JsonNode): unknown {
  if (node.type === 'object')
    return Object.fromEntries(
      (node.children ?? []).map((p) => [String(p.children?.[0]?.value), p.children?.[1] ? jsonValue(p.children[1]) : null]),
    )
  if (node.type === 'array') return (node.children ?? []).map(jsonValue)
  return node.value
}

const SOPS_PREFIX = 'sops_'

function loadDotenv(file: string, text: string): LoadedSopsFile {
  const entries: SopsMap['entries'] = []
  const flat: Record<string, string> = {}
  let metadataLine: number | undefined
  text.split('\n').forEach((line, i) => {
    if (line.length === 0 || line.startsWith('#')) return
    const eq = line.indexOf('=')
    if (eq < 0) throw new EncryptedFileError('malformed', file, 'is not a dotenv line (no "=")', {line: i + 1})
    const key = line.slice(0, eq)
    const value = line.slice(eq + 1).replaceAll('\\n', '\n')
    if (key.startsWith(SOPS_PREFIX)) {
      metadataLine ??= i + 1
      // stores.DecodeNewLines runs once more over the metadata.
      flat[key.slice(SOPS_PREFIX.length)] = value.replaceAll('\\n', '\n')
      return
    }
    entries.push({key, value: {kind: 'leaf', value, line: i + 1}, line: i + 1})
  })
  const metadata = metadataLine === undefined ? undefined : unflattenMetadata(flat)
  return {format: 'dotenv', branches: [{kind: 'map', entries}], metadata, metadataLine}
}

const MAP_SEP = '__map_'
const LIST_SEP = '__list_'

/** stores.UnflattenMetadata: `age__list_0__map_enc` → {age: [{enc}]}; mac_only_encrypted and shamir_threshold decoded. */
export function unflattenMetadata(flat: Record<string, string>): Record<string, unknown> {
  const root: Record<string, unknown> = {}
  for (const [flatKey, value] of Object.entries(flat)) {
    const tokens = flatKey.split(new RegExp(`(?=${MAP_SEP}|${LIST_SEP})`)).map((t) => {
      if (t.startsWith(MAP_SEP)) return t.slice(MAP_SEP.length)
      if (t.startsWith(LIST_SEP)) return Number(t.slice(LIST_SEP.length))
      return t
    })
    let node: Record<string | number, unknown> = root
    tokens.forEach((tok, i) => {
      if (i === tokens.length - 1) {
        node[tok] = value
        return
      }
      const nextIsList = typeof tokens[i + 1] === 'number'
      node[tok] ??= nextIsList ? [] : {}
      node = node[tok] as Record<string | number, unknown>
    })
  }
  if ('mac_only_encrypted' in root) root.mac_only_encrypted = root.mac_only_encrypted === 'true'
  if (typeof root.shamir_threshold === 'string') root.shamir_threshold = Number(root.shamir_threshold)
  return root
}

function plainObject(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
}

/** offset → 1-based line. */
function lineIndex(text: string): (offset: number) => number {
  const starts = [0]
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1)
  return (offset) => {
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (starts[mid] <= offset) lo = mid
      else hi = mid - 1
    }
    return lo + 1
  }
}
