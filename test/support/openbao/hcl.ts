/**
 * A small HCL (version 1) reader for the subset ACL policies use: `key "label" { ... }` blocks,
 * `key = value` assignments, strings (with escapes), numbers, booleans, lists (trailing commas
 * allowed), nested objects, heredocs (`<<EOF`), and `#`, `//` and `/* *\/` comments. JSON policy
 * documents are read too, as OpenBao's HCL parser accepts JSON. The result is a list of items
 * that `policy.ts` checks against the keys OpenBao allows.
 */

export type HclValue = string | number | boolean | HclValue[] | HclObject

/** An object: its items in source order (keys may repeat, as `path` blocks do). */
export interface HclObject {
  kind: 'object'
  items: HclItem[]
}

export interface HclItem {
  /** The key and any labels: `path "secret/*" {}` has keys `["path", "secret/*"]`. */
  keys: string[]
  value: HclValue
  line: number
}

export class HclError extends Error {
  constructor(message: string, line: number, column: number) {
    super(`At ${line}:${column}: ${message}`)
  }
}

type Token =
  | {t: 'ident'; v: string; line: number; col: number}
  | {t: 'string'; v: string; line: number; col: number}
  | {t: 'number'; v: number; line: number; col: number}
  | {t: 'bool'; v: boolean; line: number; col: number}
  | {t: 'punct'; v: '{' | '}' | '[' | ']' | '=' | ',' | ':'; line: number; col: number}
  | {t: 'newline'; line: number; col: number}
  | {t: 'eof'; line: number; col: number}

function tokenize(src: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  let line = 1
  let col = 1
  const advance = (n: number) => {
    for (let k = 0; k < n; k++) {
      if (src[i] === '\n') {
        line++
        col = 1
      } else col++
      i++
    }
  }
  while (i < src.length) {
    const c = src[i]!
    if (c === '\n') {
      tokens.push({t: 'newline', line, col})
      advance(1)
      continue
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      advance(1)
      continue
    }
    if (c === '#' || (c === '/' && src[i + 1] === '/')) {
      while (i < src.length && src[i] !== '\n') advance(1)
      continue
    }
    if (c === '/' && src[i + 1] === '*') {
      const startLine = line
      const startCol = col
      const end = src.indexOf('*/', i + 2)
      if (end < 0) throw new HclError('comment not terminated', startLine, startCol)
      advance(end + 2 - i)
      continue
    }
    if ('{}[]=,:'.includes(c)) {
      tokens.push({t: 'punct', v: c as '{', line, col})
      advance(1)
      continue
    }
    if (c === '"') {
      const startLine = line
      const startCol = col
      advance(1)
      let out = ''
      let depth = 0
      for (;;) {
        if (i >= src.length || src[i] === '\n') throw new HclError('literal not terminated', startLine, startCol)
        const d = src[i]!
        // `${...}` interpolations may contain quotes; keep them verbatim.
        if (d === '$' && src[i + 1] === '{') {
          depth++
          out += '${'
          advance(2)
          continue
        }
        if (depth > 0 && d === '}') {
          depth--
          out += d
          advance(1)
          continue
        }
        if (d === '"' && depth === 0) {
          advance(1)
          break
        }
        if (d === '\\') {
          const e = src[i + 1]
          const simple: Record<string, string> = {
            n: '\n',
            t: '\t',
            r: '\r',
            '"': '"',
            '\\': '\\',
            '/': '/',
            b: '\b',
            f: '\f',
            a: '\x07',
            v: '\v',
          }
          if (e !== undefined && simple[e] !== undefined) {
            out += simple[e]
            advance(2)
            continue
          }
          if (e === 'u' || e === 'U') {
            const len = e === 'u' ? 4 : 8
            const hex = src.slice(i + 2, i + 2 + len)
            if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) throw new HclError('invalid escape sequence', line, col)
            out += String.fromCodePoint(parseInt(hex, 16))
            advance(2 + len)
            continue
          }
          throw new HclError('invalid escape sequence', line, col)
        }
        out += d
        advance(1)
      }
      tokens.push({t: 'string', v: out, line: startLine, col: startCol})
      continue
    }
    if (c === '<' && src[i + 1] === '<') {
      const startLine = line
      const startCol = col
      const m = /^<<(-?)([A-Za-z_][A-Za-z0-9_]*)\r?\n/.exec(src.slice(i))
      if (!m) throw new HclError('invalid heredoc', startLine, startCol)
      const indent = m[1] === '-'
      const marker = m[2]!
      advance(m[0].length)
      const lines: string[] = []
      for (;;) {
        if (i >= src.length) throw new HclError('heredoc not terminated', startLine, startCol)
        const nl = src.indexOf('\n', i)
        const text = (nl < 0 ? src.slice(i) : src.slice(i, nl)).replace(/\r$/, '')
        advance((nl < 0 ? src.length : nl + 1) - i)
        if ((indent ? text.trim() : text) === marker) break
        lines.push(text)
      }
      let body = lines
      if (indent) {
        const widths = lines.filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)![0].length)
        const cut = widths.length ? Math.min(...widths) : 0
        body = lines.map((l) => l.slice(cut))
      }
      tokens.push({t: 'string', v: body.length ? `${body.join('\n')}\n` : '', line: startLine, col: startCol})
      continue
    }
    const num = /^-?(?:0x[0-9a-fA-F]+|[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)/.exec(src.slice(i))
    if (num && (c === '-' || /[0-9]/.test(c))) {
      tokens.push({t: 'number', v: Number(num[0]), line, col})
      advance(num[0].length)
      continue
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_\-.]*/.exec(src.slice(i))
    if (ident) {
      const word = ident[0]
      if (word === 'true' || word === 'false') tokens.push({t: 'bool', v: word === 'true', line, col})
      else tokens.push({t: 'ident', v: word, line, col})
      advance(word.length)
      continue
    }
    throw new HclError(`illegal char ${JSON.stringify(c)}`, line, col)
  }
  tokens.push({t: 'eof', line, col})
  return tokens
}

class Parser {
  private pos = 0
  constructor(private readonly tokens: Token[]) {}

  private peek(skipNewlines = true): Token {
    if (skipNewlines) while (this.tokens[this.pos]!.t === 'newline') this.pos++
    return this.tokens[this.pos]!
  }

  private next(skipNewlines = true): Token {
    const tok = this.peek(skipNewlines)
    this.pos++
    return tok
  }

  parseFile(): HclObject {
    const items = this.parseItems('eof')
    return {kind: 'object', items}
  }

  private parseItems(end: 'eof' | '}'): HclItem[] {
    const items: HclItem[] = []
    for (;;) {
      const tok = this.peek()
      if (end === 'eof' && tok.t === 'eof') return items
      if (end === '}' && tok.t === 'punct' && tok.v === '}') return items
      if (tok.t === 'eof') throw new HclError('object expected closing RBRACE got: EOF', tok.line, tok.col)
      items.push(this.parseItem())
      const after = this.peek(false)
      if (after.t === 'punct' && after.v === ',') this.pos++
    }
  }

  private parseItem(): HclItem {
    const first = this.next()
    if (first.t !== 'ident' && first.t !== 'string') {
      throw new HclError(`expected start of object ('{') or assignment ('=')`, first.line, first.col)
    }
    const keys = [String(first.v)]
    for (;;) {
      const tok = this.peek(false)
      if (tok.t === 'ident' || tok.t === 'string') {
        keys.push(String(tok.v))
        this.pos++
        continue
      }
      if (tok.t === 'punct' && (tok.v === '=' || tok.v === ':')) {
        this.pos++
        return {keys, value: this.parseValue(), line: first.line}
      }
      if (tok.t === 'punct' && tok.v === '{') {
        return {keys, value: this.parseValue(), line: first.line}
      }
      throw new HclError(`key '${keys.join(' ')}' expected start of object ('{') or assignment ('=')`, tok.line, tok.col)
    }
  }

  private parseValue(): HclValue {
    const tok = this.next()
    switch (tok.t) {
      case 'string':
      case 'number':
      case 'bool':
        return tok.v
      case 'punct':
        if (tok.v === '{') {
          const items = this.parseItems('}')
          this.next()
          return {kind: 'object', items}
        }
        if (tok.v === '[') {
          const list: HclValue[] = []
          for (;;) {
            const p = this.peek()
            if (p.t === 'punct' && p.v === ']') {
              this.next()
              return list
            }
            list.push(this.parseValue())
            const sep = this.peek()
            if (sep.t === 'punct' && sep.v === ',') {
              this.next()
              continue
            }
            if (sep.t === 'punct' && sep.v === ']') continue
            throw new HclError(`error parsing list, expected comma or list end, got: ${describe(sep)}`, sep.line, sep.col)
          }
        }
        throw new HclError(`Unknown token: ${tok.line}:${tok.col} ${tok.v}`, tok.line, tok.col)
      case 'ident':
        throw new HclError(`Unknown token: ${tok.line}:${tok.col} IDENT ${tok.v}`, tok.line, tok.col)
      default:
        throw new HclError(`Unknown token: ${describe(tok)}`, tok.line, tok.col)
    }
  }
}

function describe(tok: Token): string {
  switch (tok.t) {
    case 'eof':
      return 'EOF'
    case 'newline':
      return 'NEWLINE'
    case 'punct':
      return tok.v
    default:
      return String(tok.v)
  }
}

function fromJson(value: unknown): HclValue {
  if (Array.isArray(value)) return value.map(fromJson)
  if (value && typeof value === 'object') {
    const items: HclItem[] = []
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) items.push({keys: [key], value: fromJson(v), line: 1})
    return {kind: 'object', items}
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value
  return ''
}

/** Parses HCL 1 (or JSON) text into its top-level object. Throws `HclError` on a syntax error. */
export function parseHcl(src: string): HclObject {
  const trimmed = src.trim()
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as unknown
      const value = fromJson(parsed)
      if (typeof value === 'object' && !Array.isArray(value)) return value
    } catch {
      // Not JSON: an HCL body that starts with a brace is not valid HCL either; fall through.
    }
  }
  return new Parser(tokenize(src)).parseFile()
}

/**
 * Flattens HCL 1's equivalent spellings into `key label… = value` items: `path "a" { }`,
 * `path = { "a" = { } }` and JSON's `{"path": {"a": {}}}` all become `{keys: ["path", "a"]}`.
 */
export function expandItems(obj: HclObject, key: string): HclItem[] {
  const out: HclItem[] = []
  for (const item of obj.items) {
    if (item.keys[0] !== key) continue
    if (item.keys.length > 1) {
      out.push(item)
      continue
    }
    const value = item.value
    if (typeof value === 'object' && !Array.isArray(value)) {
      for (const inner of value.items) out.push({keys: [key, ...inner.keys], value: inner.value, line: inner.line})
    } else if (Array.isArray(value)) {
      for (const element of value) {
        if (typeof element === 'object' && !Array.isArray(element)) {
          for (const inner of element.items) out.push({keys: [key, ...inner.keys], value: inner.value, line: inner.line})
        }
      }
    } else {
      out.push(item)
    }
  }
  return out
}
