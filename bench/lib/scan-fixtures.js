/**
 * The repository `secretctl scan` is measured on: 10,000 files, 50 MB, made by 1,000 commits of
 * ten new files each (so the history's added lines are the tree's 50 MB), written with one
 * `git fast-import` stream and checked out. The text is source-like (identifiers, calls, numbers)
 * with a quoted 32-character hexadecimal string (a hash, an id) on one line in twenty: the length
 * of the values the benchmark's secrets hold, so the scan's length filter lets those through and
 * its tag filter and HMAC are exercised too. A seeded generator makes every run's tree the same.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

export const SCAN_FILES = 10_000
export const SCAN_COMMITS = 1_000
const TARGET_BYTES = 50 * 1000 * 1000
const WORDS = (
  'const let function return import export from if else for while await async value config token secret name path file ' +
  'data result error string number object this new class interface type true false null undefined request response ' +
  'client server handler options context logger cache index items count offset limit'
).split(' ')

/** xorshift32: the same text every run. */
function generator(seed) {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 0x100000000
  }
}

function fileText(random, size) {
  const hex = () => Array.from({length: 32}, () => '0123456789abcdef'[Math.floor(random() * 16)]).join('')
  const lines = []
  let length = 0
  while (length < size) {
    let line = '  '.repeat(1 + Math.floor(random() * 3))
    const words = 3 + Math.floor(random() * 10)
    for (let j = 0; j < words; j++) {
      line += WORDS[Math.floor(random() * WORDS.length)]
      line += random() < 0.2 ? `(${Math.floor(random() * 1000)}) ` : random() < 0.1 ? '.' : ' '
    }
    if (random() < 0.05) line += `"${hex()}"`
    lines.push(line)
    length += line.length + 1
  }
  return `${lines.join('\n')}\n`
}

/** Creates the repository at `dir` (git init, fast-import, checkout); returns its size. */
export function writeScanRepository(dir) {
  mkdirSync(dir, {recursive: true})
  execFileSync('git', ['init', '-q', '-b', 'main', dir])
  const random = generator(20_240_601)
  const perFile = Math.round(TARGET_BYTES / SCAN_FILES)
  const perCommit = SCAN_FILES / SCAN_COMMITS
  const chunks = []
  let bytes = 0
  for (let c = 0; c < SCAN_COMMITS; c++) {
    const message = `commit ${c + 1}`
    chunks.push(
      `commit refs/heads/main\nmark :${c + 1}\ncommitter Bench <bench@example.com> ${1_700_000_000 + c * 60} +0000\ndata ${message.length}\n${message}\n`,
    )
    if (c > 0) chunks.push(`from :${c}\n`)
    for (let f = 0; f < perCommit; f++) {
      const i = c * perCommit + f
      const text = fileText(random, perFile)
      const body = Buffer.byteLength(text)
      bytes += body
      chunks.push(`M 100644 inline src/m${String(i % 100).padStart(2, '0')}/f${String(i).padStart(5, '0')}.ts\ndata ${body}\n${text}\n`)
    }
  }
  const imported = spawnSync('git', ['fast-import', '--quiet'], {cwd: dir, input: chunks.join(''), maxBuffer: 1 << 30})
  if (imported.status !== 0) throw new Error(`git fast-import failed: ${imported.stderr}`)
  execFileSync('git', ['checkout', '-q', '-f', 'main'], {cwd: dir})
  return {files: SCAN_FILES, bytes, commits: SCAN_COMMITS, dir: path.resolve(dir)}
}

/** The project whose state the scan reads: N secrets on the plaintext backend, each a 32-hex value read from a file. */
export function writeScanProject(dir, n) {
  mkdirSync(path.join(dir, 'values'), {recursive: true})
  const docs = []
  for (let i = 0; i < n; i++) {
    const name = `s-${String(i).padStart(5, '0')}`
    writeFileSync(path.join(dir, 'values', name), randomBytes(16).toString('hex'))
    docs.push(`kind: Secret\nname: ${name}\ndata:\n  API_KEY: { fromFile: values/${name} }\n`)
  }
  writeFileSync(path.join(dir, 'secrets.yaml'), docs.join('---\n'))
}
