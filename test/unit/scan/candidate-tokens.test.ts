/**
 * The scan's matching, without a state database: key records made by scanMarks (as apply records
 * them) for planted values, an index over them, and texts in the shapes values are pasted in.
 * Each test says where a value is found (line, secret, key) and where it is not.
 */
import {randomBytes} from 'node:crypto'
import {describe, expect, it} from 'vitest'
import {findInText, LineCounter} from '../../../src/scan/candidate-tokens.js'
import type {ScanIndex} from '../../../src/scan/scan-index.js'
import {scanMarks, worthScanning} from '../../../src/scan/scan-marks.js'
import {scanIndexOf as indexOf, scanTestState as state} from '../../support/scan-index.js'

function find(index: ScanIndex, text: string): string[] {
  const bytes = Buffer.from(text, 'utf8')
  const hits: Array<{offset: number; names: string[]}> = []
  findInText(index, bytes, 0, bytes.length, (offset, needles) =>
    hits.push({offset, names: needles.map((n) => `${n.secret}/${n.key}${n.line ? `#${n.line}` : ''}`)}),
  )
  const lines = new LineCounter(bytes, 0)
  const out = new Set<string>()
  for (const h of hits.sort((a, b) => a.offset - b.offset)) for (const n of h.names) out.add(`${lines.lineOf(h.offset)}:${n}`)
  return [...out]
}

const TOKEN = 'Xk7pQ2mZ9vL4wR8tY1uN3bH6'
const PASSWORD = 'pa$$:w0rd@Home!'

describe('scan matching', () => {
  it.each([
    ['a dotenv line', `A=1\nGITHUB_TOKEN=${TOKEN}\n`, 2],
    ['an exported, quoted one', `export GITHUB_TOKEN="${TOKEN}"\n`, 1],
    ['JSON', `{\n  "token": "${TOKEN}",\n  "x": 1\n}`, 2],
    ['YAML', `a: b\ntoken: ${TOKEN}\n`, 2],
    ['YAML, single-quoted', `token: '${TOKEN}'`, 1],
    ['a flag', `run --token=${TOKEN} --verbose\n`, 1],
    ['a URL', `DATABASE_URL=postgres://app:${TOKEN}@db:5432/app\n`, 1],
    ['the end of a sentence', `the token is ${TOKEN}.\n`, 1],
    ['a call', `login(${TOKEN}, user)\n`, 1],
    ['a CRLF line', `x\r\ny = ${TOKEN}\r\nz\r\n`, 2],
    ['the last line, no newline', `a\nb\n${TOKEN}`, 3],
    ['the first bytes', `${TOKEN} is here`, 1],
    ['Go code', `\tclient := New("${TOKEN}")\n`, 1],
  ])('finds a value in %s', async (_what, text, line) => {
    const index = await indexOf({github: {GITHUB_TOKEN: TOKEN}})
    expect(find(index, text)).toEqual([`${line}:github/GITHUB_TOKEN`])
  })

  it('finds a value with punctuation that cuts tokens (as a quoted string, a right-hand side, a line)', async () => {
    const index = await indexOf({db: {PASSWORD}})
    expect(find(index, `DB_PASSWORD=${PASSWORD}\n`)).toEqual(['1:db/PASSWORD'])
    expect(find(index, `password = "${PASSWORD}";\n`)).toEqual(['1:db/PASSWORD'])
    expect(find(index, `${PASSWORD}\n`)).toEqual(['1:db/PASSWORD'])
  })

  it('finds a value read from a file with its trailing newline, and the same value under two keys', async () => {
    const index = await indexOf({a: {TOKEN: `${TOKEN}\n`}, b: {OTHER: TOKEN}})
    expect(find(index, `x\n  ${TOKEN}\n`).sort()).toEqual(['2:a/TOKEN', '2:b/OTHER'])
  })

  it('finds each line of a multi-line value, not its PEM armour', async () => {
    const body = [randomBytes(48).toString('base64'), randomBytes(48).toString('base64'), randomBytes(20).toString('base64')]
    const key = `-----BEGIN PRIVATE KEY-----\n${body.join('\n')}\n-----END PRIVATE KEY-----\n`
    const index = await indexOf({tls: {KEY: key}})
    const pasted = `config:\n  key: |\n    -----BEGIN PRIVATE KEY-----\n    ${body[0]}\n    ${body[1]}\n    ${body[2]}\n    -----END PRIVATE KEY-----\n`
    expect(find(index, pasted)).toEqual(['4:tls/KEY#2', '5:tls/KEY#3', '6:tls/KEY#4'])
    expect(find(index, '-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n')).toEqual([])
  })

  it('finds a value with blanks inside as a line, a quoted string and a right-hand side', async () => {
    const phrase = 'correct horse battery staple 42'
    const index = await indexOf({wifi: {PHRASE: phrase}})
    expect(find(index, `a\n  ${phrase}  \n`)).toEqual(['2:wifi/PHRASE'])
    expect(find(index, `say("${phrase}")\n`)).toEqual(['1:wifi/PHRASE'])
    expect(find(index, `PHRASE = '${phrase}',\n`)).toEqual(['1:wifi/PHRASE'])
  })

  it('does not find a value glued to other text, nor another text of the same length', async () => {
    const index = await indexOf({github: {GITHUB_TOKEN: TOKEN}})
    expect(find(index, `x${TOKEN}y\n`)).toEqual([])
    const others = Array.from({length: 2000}, () => `t = "${randomBytes(18).toString('base64')}"`).join('\n')
    expect(find(index, others)).toEqual([])
  })

  it('records nothing for short values and plain words, and says so', async () => {
    expect(await scanMarks(state, 'K', 'true')).toEqual([])
    expect(await scanMarks(state, 'K', 'production')).toEqual([])
    expect(worthScanning('localhost:5432')).toBe(true)
    const index = await indexOf({app: {NODE_ENV: 'production', PORT: '5432', TOKEN}})
    expect(index.counts).toEqual({keys: 1, notScanned: 2, unmarked: 0})
    expect(find(index, 'NODE_ENV=production\nPORT=5432\n')).toEqual([])
  })

  it('needles hold lengths and tags, never the text, and a fingerprint only for a text that is not the value itself', async () => {
    const marks = await scanMarks(state, 'K', `${TOKEN}\n`)
    expect(marks).toHaveLength(1)
    expect(Object.keys(marks[0]!).sort()).toEqual(['fingerprint', 'length', 'tag'])
    expect(JSON.stringify(marks)).not.toContain(TOKEN)
    expect(await scanMarks(state, 'K', TOKEN)).toEqual([{length: TOKEN.length, tag: expect.any(Number)}])
  })

  it('finds values of keys recorded before scan needles existed, at any length', async () => {
    const index = await indexOf({old: {TOKEN}}, {unmarked: true})
    expect(index.counts.unmarked).toBe(1)
    expect(find(index, `a\nb = "${TOKEN}"\n`)).toEqual(['2:old/TOKEN'])
  })
})

describe('the skip over short runs', () => {
  // A matcher that answers for whole runs only (a blank or the text's edge on both sides): the runs
  // findInText cuts must be exactly the runs of at least minSolid bytes, however the blanks fall.
  function wholeRuns(text: Uint8Array, minSolid: number): string[] {
    const maxLength = 64
    const lengthOk = new Uint8Array(maxLength + 1).fill(1)
    const blank = (i: number) => i < 0 || i >= text.length || text[i] === 32 || text[i] === 10
    const found: string[] = []
    const matcher = {
      lengthOk,
      minLength: 1,
      maxLength,
      minSolid,
      minSpaced: Number.POSITIVE_INFINITY,
      match: (_bytes: Uint8Array, s: number, e: number) => (blank(s - 1) && blank(e) ? true : undefined),
    }
    findInText(matcher, text, 0, text.length, (offset, _found, length) => found.push(`${offset}+${length}`))
    return found
  }

  it('cuts every run of minSolid bytes or more, and no shorter one, in random texts', () => {
    let seed = 7
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    for (let round = 0; round < 300; round++) {
      const minSolid = 1 + Math.floor(random() * 40)
      const blanks = random()
      const text = Buffer.from(
        Array.from({length: Math.floor(random() * 400)}, () => (random() < blanks * 0.5 ? (random() < 0.8 ? 32 : 10) : 120)),
      )
      const expected: string[] = []
      const runs = /x+/g
      for (let m = runs.exec(text.toString('latin1')); m; m = runs.exec(text.toString('latin1')))
        if (m[0].length >= minSolid && m[0].length <= 64) expected.push(`${m.index}+${m[0].length}`)
      expect(wholeRuns(text, minSolid), `round ${round}, minSolid ${minSolid}`).toEqual(expected)
    }
  })
})
