/**
 * Label selectors (`labelSelector=`) and field selectors (`fieldSelector=`) as the API server
 * parses and applies them (k8s.io/apimachinery `pkg/labels/selector.go`, `pkg/fields/selector.go`):
 * equality (`a=b`, `a==b`, `a!=b`), set-based (`a in (x,y)`, `a notin (x)`), existence (`a`, `!a`),
 * numeric `a>1` / `a<1`, comma-separated and all required. A parse error is a 400, as there.
 */
import {badRequest} from './status.js'
import {isQualifiedName, isValidLabelValue} from './validation.js'

type Op = 'exists' | '!' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt'

interface Requirement {
  key: string
  op: Op
  values: string[]
}

export type Labels = Record<string, string> | undefined

/** A parsed selector: `matches(labels)`. The empty selector matches everything. */
export interface Selector {
  matches(labels: Labels): boolean
  readonly empty: boolean
}

const SPECIAL = new Set(['!', '=', '(', ')', ',', '<', '>'])

type Token = {kind: 'id' | 'op' | 'end'; text: string}

function lex(input: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < input.length) {
    const c = input[i]!
    if (/\s/.test(c)) {
      i++
      continue
    }
    if (SPECIAL.has(c)) {
      const two = input.slice(i, i + 2)
      if (two === '==' || two === '!=') {
        tokens.push({kind: 'op', text: two})
        i += 2
      } else {
        tokens.push({kind: 'op', text: c})
        i++
      }
      continue
    }
    let j = i
    while (j < input.length && !SPECIAL.has(input[j]!) && !/\s/.test(input[j]!)) j++
    tokens.push({kind: 'id', text: input.slice(i, j)})
    i = j
  }
  tokens.push({kind: 'end', text: ''})
  return tokens
}

function parseError(message: string): never {
  throw badRequest(`unable to parse requirement: ${message}`)
}

function describe(t: Token): string {
  return t.kind === 'end' ? 'end of string' : t.text
}

/** Parses a label selector; throws a 400 StatusError on bad syntax or invalid keys/values. */
export function parseLabelSelector(input: string | null | undefined): Selector {
  const reqs: Requirement[] = []
  const text = (input ?? '').trim()
  if (text) {
    const tokens = lex(text)
    let p = 0
    const peek = () => tokens[p]!
    const next = () => tokens[p++]!
    for (;;) {
      let t = next()
      let req: Requirement
      if (t.kind === 'op' && t.text === '!') {
        const key = next()
        if (key.kind !== 'id') parseError(`found '${describe(key)}', expected: identifier after '!'`)
        req = {key: key.text, op: '!', values: []}
      } else if (t.kind === 'id') {
        const key = t.text
        const op = peek()
        if (op.kind === 'end' || (op.kind === 'op' && op.text === ',')) {
          req = {key, op: 'exists', values: []}
        } else {
          next()
          if (op.kind === 'id' && (op.text === 'in' || op.text === 'notin')) {
            const open = next()
            if (open.text !== '(') parseError(`found '${describe(open)}', expected: '('`)
            const values: string[] = []
            for (;;) {
              t = next()
              if (t.kind === 'id') {
                values.push(t.text)
                t = next()
              } else if (t.text === ',' || t.text === ')') {
                values.push('')
              } else {
                parseError(`found '${describe(t)}', expected: ',', ')' or identifier`)
              }
              if (t.text === ')') break
              if (t.text !== ',') parseError(`found '${describe(t)}', expected: ',' or ')'`)
            }
            req = {key, op: op.text, values}
          } else if (op.kind === 'op' && (op.text === '=' || op.text === '==' || op.text === '!=')) {
            const v = peek()
            let value = ''
            if (v.kind === 'id') {
              value = v.text
              next()
            }
            req = {key, op: op.text === '!=' ? '!=' : '=', values: [value]}
          } else if (op.kind === 'op' && (op.text === '>' || op.text === '<')) {
            const v = next()
            if (v.kind !== 'id' || !/^-?[0-9]+$/.test(v.text)) parseError(`for 'Gt', 'Lt' operators, the value must be an integer`)
            req = {key, op: op.text === '>' ? 'gt' : 'lt', values: [v.text]}
          } else {
            parseError(`found '${describe(op)}', expected: in, notin, =, ==, !=, gt, lt`)
          }
        }
      } else {
        parseError(`found '${describe(t)}', expected: !, identifier, or 'end of string'`)
      }
      const keyErrs = isQualifiedName(req.key)
      if (keyErrs.length) parseError(`key: Invalid value: ${JSON.stringify(req.key)}: ${keyErrs.join('; ')}`)
      if (req.op !== 'gt' && req.op !== 'lt') {
        req.values.forEach((v, i) => {
          const errs = isValidLabelValue(v)
          if (errs.length) parseError(`values[${i}][${req.key}]: Invalid value: ${JSON.stringify(v)}: ${errs.join('; ')}`)
        })
      }
      reqs.push(req)
      t = next()
      if (t.kind === 'end') break
      if (t.text !== ',') parseError(`found '${describe(t)}', expected: ',' or 'end of string'`)
    }
  }
  return {
    empty: reqs.length === 0,
    matches: (labels) => reqs.every((r) => matchRequirement(r, labels ?? {})),
  }
}

function matchRequirement(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key)
  const value = labels[r.key]
  switch (r.op) {
    case 'exists':
      return has
    case '!':
      return !has
    case '=':
      return has && value === r.values[0]
    case '!=':
      return !has || value !== r.values[0]
    case 'in':
      return has && r.values.includes(value!)
    case 'notin':
      return !has || !r.values.includes(value!)
    case 'gt':
    case 'lt': {
      if (!has || !/^-?[0-9]+$/.test(value!)) return false
      const n = Number(value)
      const bound = Number(r.values[0])
      return r.op === 'gt' ? n > bound : n < bound
    }
  }
}

/** A field selector over the fields a kind supports (`metadata.name`, `type`, …); values are read by `fieldsOf`. */
export function parseFieldSelector(input: string | null | undefined, supported: string[]): (fields: Record<string, string>) => boolean {
  const text = (input ?? '').trim()
  if (!text) return () => true
  const reqs: {field: string; negate: boolean; value: string}[] = []
  for (const part of splitTerms(text)) {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(part.trim())
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`)
    const field = m[1]!.trim()
    if (!supported.includes(field)) throw badRequest(`field label not supported: ${field}`)
    reqs.push({field, negate: m[2] === '!=', value: unescapeFieldValue(m[3]!.trim())})
  }
  return (fields) => reqs.every((r) => (fields[r.field] === r.value) !== r.negate)
}

/** Splits on unescaped commas (field selector values escape `\,`, `\=` and `\\`). */
function splitTerms(text: string): string[] {
  const out: string[] = []
  let cur = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === '\\' && i + 1 < text.length) {
      cur += c + text[i + 1]
      i++
    } else if (c === ',') {
      out.push(cur)
      cur = ''
    } else cur += c
  }
  out.push(cur)
  return out
}

function unescapeFieldValue(v: string): string {
  return v.replace(/\\(.)/g, '$1')
}
