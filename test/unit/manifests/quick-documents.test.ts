import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {parseDocuments} from '../../../src/manifests/parse-documents.js'
import {fieldPositions, type ParsedDocument} from '../../../src/manifests/positions.js'
import {readDocumentsQuickly} from '../../../src/manifests/quick-documents.js'

const ROOT = path.resolve(import.meta.dirname, '../../..')

/** Every dotted path of a plain value, as fieldPositions names fields. */
function paths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [`${prefix}${i}`, ...paths(v, `${prefix}${i}.`)])
  if (typeof value === 'object' && value !== null)
    return Object.entries(value).flatMap(([k, v]) => [`${prefix}${k}`, ...paths(v, `${prefix}${k}.`)])
  return []
}

/**
 * The quick reading of TEXT, checked against the slow one wherever it is taken: the same documents,
 * values, starts and field positions. Returns whether it was taken.
 */
function agrees(text: string): boolean {
  const quick = readDocumentsQuickly('m.yaml', '/m.yaml', text)
  const problems: never[] = []
  const slow = [...parseDocuments('m.yaml', '/m.yaml', text, problems)]
  if (!quick) return false
  expect(problems, text).toEqual([])
  expect(
    quick.map((d) => d.value),
    text,
  ).toEqual(slow.map((d) => d.value))
  expect(
    quick.map((d) => d.at),
    text,
  ).toEqual(slow.map((d) => d.at))
  quick.forEach((doc: ParsedDocument, i) => {
    const want = fieldPositions(slow[i] as ParsedDocument)
    const got = fieldPositions(doc)
    for (const p of paths(doc.value)) expect(got.get(p), `${p} in ${JSON.stringify(text)}`).toEqual(want.get(p))
  })
  return true
}

/** A small seeded generator (mulberry32), so a failure names the case that reproduces it. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Manifest-like YAML in the styles people write: block and flow mappings, every scalar style, comments, markers, CRLF. */
function manifestText(rand: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T
  const scalar = (indent: string): string =>
    pick([
      'plain-value',
      'two words',
      '"double \\"quoted\\" \\u00e9"',
      "'single ''quoted'''",
      'true',
      'null',
      '',
      `|\n${indent}  line one\n${indent}  line two\n`,
      `>-\n${indent}  folded\n${indent}  text\n\n${indent}  more\n`,
      'https://vault.example.com:8200/v1/secret?x=1&y=2',
      `plain\n${indent}  continued`,
      '"1234"',
      'yes',
      '${env}-name',
    ])
  const docs: string[] = []
  const n = 1 + Math.floor(rand() * 4)
  for (let d = 0; d < n; d++) {
    const lines: string[] = []
    if (rand() < 0.3) lines.push(pick(['# a comment', '', '   # indented comment']))
    lines.push(`kind: ${pick(['Secret', 'SecretBackend'])}`)
    lines.push(`name: s-${d}`)
    if (rand() < 0.5) lines.push(`description: ${scalar('')}`)
    if (rand() < 0.5) lines.push(`data: {A: {fromEnv: A_VAR}, "B": {literal: ${pick(['x', "'y'", '"z"'])}}}`)
    else {
      lines.push('data:')
      for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) {
        lines.push(`  KEY_${k}:`)
        lines.push(`    ${pick(['fromFile', 'fromEnv', 'literal'])}: ${scalar('    ')}`)
        if (rand() < 0.2) lines.push('')
      }
    }
    if (rand() < 0.3) lines.push('environments: [staging, production]')
    if (rand() < 0.3) lines.push('list:\n- one\n- "two"\n-   three # trailing comment')
    docs.push(lines.join('\n'))
  }
  const sep = () => pick(['---\n', '---\n', '--- # next\n', '...\n---\n', '\n---\n\n', '---\n---\n', '...\n'])
  let text = (rand() < 0.4 ? pick(['---\n', '# header\n---\n', '\n']) : '') + docs.map((doc, i) => (i ? sep() : '') + doc + '\n').join('')
  if (rand() < 0.2) text += pick(['---\n', '...\n', '# end\n'])
  if (rand() < 0.1) text = text.replace(/\n$/, '')
  if (rand() < 0.2) text = text.replace(/\n/g, '\r\n')
  return text
}

describe('reading manifests quickly', () => {
  it('reads generated manifests exactly as the parser with positions does', () => {
    let taken = 0
    for (let seed = 1; seed <= 400; seed++) {
      const text = manifestText(random(seed))
      if (agrees(text)) taken++
    }
    // Most generated files are quick ones (a few hold a string like "1234" and are not).
    expect(taken).toBeGreaterThan(250)
  })

  it('reads the fixtures and the docs examples alike, or leaves them to the parser', () => {
    const texts: string[] = []
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, {withFileTypes: true})) {
        const p = path.join(dir, e.name)
        if (e.isDirectory()) walk(p)
        else if (/\.ya?ml$/.test(e.name)) texts.push(readFileSync(p, 'utf8'))
      }
    }
    walk(path.join(ROOT, 'test/fixtures/manifests'))
    for (const name of readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md'))) {
      const md = readFileSync(path.join(ROOT, 'docs', name), 'utf8')
      for (const m of md.matchAll(/```ya?ml\n([\s\S]*?)```/g)) texts.push(m[1] as string)
    }
    expect(texts.length).toBeGreaterThan(20)
    let taken = 0
    for (const text of texts) if (agrees(text)) taken++
    expect(taken).toBeGreaterThan(texts.length / 2)
  })

  it.each([
    ['a tag', 'kind: Secret\nname: !!str a\n'],
    ['an anchor and an alias', 'kind: Secret\nname: &n a\ndescription: *n\n'],
    ['a directive', '%YAML 1.2\n---\nkind: Secret\n'],
    ['a complex key', 'kind: Secret\n? name\n: a\n'],
    ['a tab', 'kind: Secret\nname:\ta\n'],
    ['a byte order mark', '\ufeffkind: Secret\nname: a\n'],
    ['a quote followed by #', 'kind: Secret\nname: "a"#c\n'],
    ['content on a marker line', '--- {kind: Secret, name: a}\n'],
    ['a number', 'kind: Secret\nname: a\nport: 8080\n'],
    ['a binary number js-yaml reads and yaml does not', 'kind: Secret\nname: 0b11\n'],
    ['a float yaml reads and js-yaml does not', 'kind: Secret\nname: -.5\n'],
    ['a quoted string that looks like a number', 'kind: Secret\nname: "8080"\n'],
    ['a null key', 'kind: Secret\nnull: a\n'],
    ['a key too long for yaml', `kind: Secret\n${'k'.repeat(1100)}: a\n`],
    ['a document that is not a mapping', 'kind: Secret\n---\n- a\n'],
    ['a duplicate key', 'kind: Secret\nkind: Secret\n'],
    ['broken YAML', 'kind: Secret\nname: [a\n'],
  ])('leaves a file with %s to the parser with positions', (_what, text) => {
    expect(readDocumentsQuickly('m.yaml', '/m.yaml', text)).toBeUndefined()
  })

  it('works out field positions only when one is asked for, from the file as it was read', () => {
    const text = '# head\n---\nkind: Secret\nname: a\ndata:\n  K:\n    fromEnv: V\n---\n\nkind: Secret\nname: b\n'
    const docs = readDocumentsQuickly('m.yaml', '/m.yaml', text)
    expect(docs?.map((d) => d.at)).toEqual([
      {file: 'm.yaml', line: 3, column: 1},
      {file: 'm.yaml', line: 10, column: 1},
    ])
    expect(docs?.map((d) => d.tree)).toEqual([undefined, undefined])
    expect(fieldPositions(docs?.[0] as ParsedDocument).get('data.K.fromEnv')).toEqual({file: 'm.yaml', line: 7, column: 14})
    expect(fieldPositions(docs?.[1] as ParsedDocument).get('name')).toEqual({file: 'm.yaml', line: 11, column: 7})
  })
})
