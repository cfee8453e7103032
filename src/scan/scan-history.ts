/**
 * `secretctl scan --git [--since REV]`: the lines every commit added, from `git log -p -U0`
 * (REV..HEAD with --since, else every commit HEAD reaches), streamed and parsed as they come: a
 * commit line, the file a diff is about (`+++ b/…`), each hunk's header for the new line numbers,
 * and the added lines, each scanned as the files are. Hunk headers give the number of lines that
 * follow, so an added line that starts with `++` is never taken for a header. Merge commits show
 * no diff of their own (`git log`'s default), so their changes are scanned in the commits merged;
 * a conflict resolved with new text in the merge itself is not. Binary changes have no lines.
 */
import {UsageError} from '../errors.js'
import {findInText, LineCounter} from './candidate-tokens.js'
import {git, spawnGit} from './git.js'
import type {Needle, ScanIndex} from './scan-index.js'
import type {ValueFinding} from './scan-findings.js'

export interface HistoryScanStats {
  commits: number
  /** Bytes of added lines scanned. */
  bytes: number
}

const NEWLINE = 10
const COMMIT_MARK = 1
const PLUS = 43
const SPACE = 32
const MINUS = 45
const BACKSLASH = 92
const HUNK = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/

export async function scanHistory(
  index: ScanIndex,
  cwd: string,
  opts: {since?: string; paths: string[]},
  report: (f: ValueFinding) => void,
): Promise<HistoryScanStats> {
  if ((await git(['rev-parse', '--verify', '-q', 'HEAD'], cwd)) === undefined) return {commits: 0, bytes: 0}
  if (opts.since !== undefined && (await git(['rev-parse', '--verify', '-q', `${opts.since}^{commit}`], cwd)) === undefined) {
    throw new UsageError(
      `--since ${opts.since} is not a commit of this repository`,
      'give a commit, a branch or a tag: e.g. --since origin/main',
    )
  }
  const range = opts.since === undefined ? 'HEAD' : `${opts.since}..HEAD`
  // The whole work tree from its top needs no pathspec (which would make git filter every commit's tree).
  const top = opts.paths.length === 1 && opts.paths[0] === '.' && ((await git(['rev-parse', '--show-prefix'], cwd)) ?? '').trim() === ''
  const log = ['log', '-p', '-U0', '--no-color', '--no-ext-diff', '--no-textconv', '--format=%x01%H']
  return scanPatch(index, cwd, [...log, range, ...(top ? [] : ['--', ...opts.paths])], report)
}

/** `secretctl scan --staged`: the lines staged for the next commit (`git diff --cached`), for a pre-commit hook. */
export async function scanStaged(
  index: ScanIndex,
  cwd: string,
  paths: string[],
  report: (f: ValueFinding) => void,
): Promise<HistoryScanStats> {
  return scanPatch(index, cwd, ['diff', '--cached', '-p', '-U0', '--no-color', '--no-ext-diff', '--no-textconv', '--', ...paths], report)
}

/** Runs git (log or diff) and scans the added lines of its patch output as they stream in. */
async function scanPatch(index: ScanIndex, cwd: string, command: string[], report: (f: ValueFinding) => void): Promise<HistoryScanStats> {
  const {child, stderr} = spawnGit(['-c', 'core.quotePath=false', ...command], cwd)
  const parser = new DiffParser(index, report)
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve(code ?? 1))
  })
  for await (const chunk of child.stdout) parser.push(chunk as Buffer)
  parser.end()
  const code = await exited
  if (code !== 0) throw new UsageError(`git ${command[0]} failed: ${stderr() || `exit ${code}`}`)
  return {commits: parser.commits, bytes: parser.bytes}
}

/**
 * Parses `git log -p -U0 --format=%x01%H` output across chunks. The added lines of a hunk are one
 * block of consecutive lines: their `+` is overwritten with a blank (the chunk is ours) and the
 * block is scanned in one call, as a file is, its hits numbered from the hunk's first new line.
 */
class DiffParser {
  commits = 0
  bytes = 0
  private carry: Buffer = Buffer.alloc(0)
  private commit = ''
  private file: string | undefined
  private newLine = 0
  private adding = 0
  private removing = 0

  constructor(
    private readonly index: ScanIndex,
    private readonly report: (f: ValueFinding) => void,
  ) {}

  push(chunk: Buffer): void {
    const buf = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk
    let start = 0
    for (;;) {
      let nl = buf.indexOf(NEWLINE, start)
      if (nl < 0) break
      if (this.adding > 0 && buf[start] === PLUS) {
        // A block of added lines: as many as the hunk has left, and as this chunk holds whole.
        const blockStart = start
        const firstLine = this.newLine
        while (nl >= 0 && this.adding > 0 && buf[start] === PLUS) {
          buf[start] = SPACE
          this.adding--
          this.newLine++
          this.bytes += nl - start
          start = nl + 1
          nl = buf.indexOf(NEWLINE, start)
        }
        this.block(buf, blockStart, start, firstLine)
        continue
      }
      this.line(buf, start, nl)
      start = nl + 1
    }
    this.carry = Buffer.from(buf.subarray(start))
  }

  end(): void {
    if (this.carry.length) this.push(Buffer.from('\n'))
    this.carry = Buffer.alloc(0)
  }

  private block(buf: Buffer, start: number, end: number, firstLine: number): void {
    const file = this.file
    if (file === undefined) return
    const hits: Array<{offset: number; needles: Needle[]}> = []
    findInText(this.index, buf, start, end, (offset, needles) => hits.push({offset, needles}))
    if (!hits.length) return
    const lines = new LineCounter(buf, start, firstLine)
    for (const h of hits.sort((a, b) => a.offset - b.offset)) {
      const line = lines.lineOf(h.offset)
      for (const n of h.needles)
        this.report({
          kind: 'value',
          file,
          line,
          ...(this.commit ? {commit: this.commit} : {staged: true as const}),
          secret: n.secret,
          key: n.key,
          ...(n.line ? {valueLine: n.line} : {}),
        })
    }
  }

  private line(buf: Buffer, start: number, end: number): void {
    const first = start < end ? buf[start] : -1
    if (this.adding > 0 || this.removing > 0) {
      if (first === MINUS && this.removing > 0) {
        this.removing--
        return
      }
      if (first === BACKSLASH) return // "\ No newline at end of file"
      this.adding = this.removing = 0
    }
    if (first === COMMIT_MARK) {
      this.commit = buf.toString('latin1', start + 1, end)
      this.commits++
      this.file = undefined
      return
    }
    const text = buf.toString('utf8', start, Math.min(end, start + 4096))
    if (text.startsWith('diff --git ')) this.file = undefined
    else if (text.startsWith('+++ ')) this.file = diffPath(text.slice(4))
    else if (text.startsWith('@@ ')) {
      const m = HUNK.exec(text)
      if (!m) return
      this.removing = m[1] === undefined ? 1 : Number(m[1])
      this.newLine = Number(m[2])
      this.adding = m[3] === undefined ? 1 : Number(m[3])
    }
  }
}

/** The new file of a diff: `b/path` (quoted by git when it has unusual characters), or undefined for a deletion. */
function diffPath(raw: string): string | undefined {
  let p = raw.replace(/\t$/, '')
  if (p === '/dev/null') return undefined
  if (p.startsWith('"') && p.endsWith('"')) {
    p = p
      .slice(1, -1)
      .replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(Number.parseInt(o, 8)))
      .replace(/\\(.)/g, (_m, c: string) => ({n: '\n', t: '\t'})[c] ?? c)
    p = Buffer.from(p, 'latin1').toString('utf8')
  }
  return p.startsWith('b/') ? p.slice(2) : p
}
