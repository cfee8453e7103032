/**
 * The scanning of files that the main thread and each scanning worker run, in this thread: the
 * index finds planted values at their file and line; the workers' filter (lengths and tags, no
 * fingerprint) passes on those same candidates, which the index then recognises, and drops the
 * texts that only look like them; binary files are skipped. The threads themselves are run by the
 * e2e tests (the built CLI, `scan --threads`).
 */
import {randomBytes} from 'node:crypto'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {FileScanner} from '../../../src/scan/file-scanner.js'
import {TagFilter} from '../../../src/scan/scan-index.js'
import {scanIndexOf} from '../../support/scan-index.js'

const TOKEN = `tok_${randomBytes(16).toString('hex')}`
const OTHER = `key_${randomBytes(16).toString('hex')}`

function tree(files: Record<string, string | Buffer>): {base: string; names: string[]} {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'secretctl-file-scanner-'))
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), {recursive: true})
    writeFileSync(path.join(dir, name), text)
  }
  return {base: dir + path.sep, names: Object.keys(files).sort()}
}

const lookalikes = (n: number) =>
  Array.from(
    {length: n},
    (_, i) => `const v${i} = "tok_${randomBytes(16).toString('hex')}" // key_${randomBytes(16).toString('hex')}`,
  ).join('\n')

describe('FileScanner', () => {
  const files = {
    'a.env': `A=1\nTOKEN=${TOKEN}\n`,
    'b/c.json': `{\n  "x": 1,\n  "other": "${OTHER}",\n  "again": "${TOKEN}"\n}\n`,
    'b/lookalikes.ts': lookalikes(500),
    'd.bin': Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(TOKEN)]),
    'gone.txt': 'x',
  }

  it('finds values at their file and line with the index, skipping binary files', async () => {
    const index = await scanIndexOf({app: {TOKEN, OTHER}})
    const {base, names} = tree(files)
    const found: string[] = []
    const scanner = new FileScanner(index, base, [...names, 'missing.txt'], (file, line, needles) => {
      for (const n of needles) found.push(`${names[file]}:${line} ${n.secret}/${n.key}`)
    })
    scanner.scan(0, names.length + 1)
    expect([...new Set(found)]).toEqual(['a.env:2 app/TOKEN', 'b/c.json:3 app/OTHER', 'b/c.json:4 app/TOKEN'])
    expect(scanner.stats).toMatchObject({files: 4, skipped: 1})
  })

  it("a worker's filter passes on the same candidates, which the index recognises, and drops lookalikes", async () => {
    const index = await scanIndexOf({app: {TOKEN, OTHER}})
    const data = index.tagFilter()
    expect(data).toBeDefined()
    expect(JSON.stringify({...data, lengthOk: undefined})).not.toMatch(/tok_|key_/)
    const {base, names} = tree(files)
    const passed: Array<{file: number; line: number; bytes: Uint8Array}> = []
    const scanner = new FileScanner(new TagFilter(data!), base, names, (file, line, bytes) => passed.push({file, line, bytes}))
    // In two parts, as threads take them.
    scanner.scan(2, names.length)
    scanner.scan(0, 2)
    const recognised = passed.flatMap((p) =>
      (index.match(p.bytes, 0, p.bytes.length) ?? []).map((n) => `${names[p.file]}:${p.line} ${n.key}`),
    )
    expect([...new Set(recognised)].sort()).toEqual(['a.env:2 TOKEN', 'b/c.json:3 OTHER', 'b/c.json:4 TOKEN'])
    // 1,000 texts of the same lengths, each a candidate in two or three forms: the 16-bit tags let
    // through about one in 30,000 (two recorded texts). Counted as distinct texts, so that one
    // lookalike let through (about one run in 30) does not count twice; three would be one run in 200,000.
    const real = new Set([TOKEN, OTHER])
    const lookalikesPassed = new Set(passed.map((p) => Buffer.from(p.bytes).toString()).filter((t) => !real.has(t)))
    expect(lookalikesPassed.size).toBeLessThan(3)
  })

  it('no filter for a worker when keys were recorded before scan needles existed (every candidate would pass)', async () => {
    expect((await scanIndexOf({old: {TOKEN}}, {unmarked: true})).tagFilter()).toBeUndefined()
  })
})
