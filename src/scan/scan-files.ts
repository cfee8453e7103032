/**
 * `secretctl scan [PATH…]` over files: in a git work tree, the files git tracks or would track
 * (what .gitignore excludes is not scanned: build output, node_modules, the state directory),
 * elsewhere every regular file under the paths but `.git`, `node_modules` and `.secretctl`
 * (symbolic links are not followed). Each file is read whole into one reused buffer; a file with a
 * NUL byte in its first 8 KiB is binary (as git decides) and skipped, and so is one larger than
 * 64 MiB. Hits are reported with their line, found with memchr only for the file that has them.
 */
import {closeSync, constants, existsSync, openSync, readdirSync, readSync, statSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'
import {findInText, LineCounter} from './candidate-tokens.js'
import {gitFiles} from './git.js'
import type {FilterData, Needle, ScanIndex} from './scan-index.js'
import type {ValueFinding} from './scan-findings.js'

export const MAX_SCANNED_FILE = 64 * 1024 * 1024
const BINARY_PROBE = 8000
const SKIPPED_DIRS = new Set(['.git', 'node_modules', '.secretctl'])

export interface FileScanStats {
  files: number
  bytes: number
  /** Binary files, and files too large, not scanned. */
  skipped: number
}

/** The files to scan under the paths, relative to `cwd`, `/`-separated, sorted. */
export async function filesToScan(cwd: string, paths: string[]): Promise<{files: string[]; git: boolean}> {
  const listed = await gitFiles(cwd, paths, true)
  if (listed) return {files: listed.sort(), git: true}
  const files: string[] = []
  for (const p of paths) walk(cwd, path.normalize(p), files)
  return {files: [...new Set(files)].sort(), git: false}
}

function walk(cwd: string, rel: string, out: string[]): void {
  const abs = path.resolve(cwd, rel)
  const info = statSync(abs, {throwIfNoEntry: false})
  if (!info) return
  if (info.isFile()) {
    out.push(rel.split(path.sep).join('/'))
    return
  }
  if (!info.isDirectory()) return
  for (const entry of readdirSync(abs, {withFileTypes: true})) {
    const child = rel === '.' ? entry.name : path.join(rel, entry.name)
    if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) walk(cwd, child, out)
    else if (entry.isFile()) out.push(child.split(path.sep).join('/'))
  }
}

/** From this many files on, a worker thread scans half of them (the other half here): reading and matching on two CPUs. */
const WORKER_FROM = 1000

/**
 * Scans the files for the index's values; each hit becomes a finding. With a worker (and files
 * enough), the worker cuts and filters half the files by length and tag only, and hands back the
 * few candidates left, which are fingerprinted here: the worker never sees a fingerprint or a name.
 */
export async function scanFiles(
  index: ScanIndex,
  cwd: string,
  files: string[],
  report: (f: ValueFinding) => void,
  worker?: ScanWorker,
): Promise<FileScanStats> {
  const base = path.resolve(cwd) + path.sep
  const data = worker && files.length >= WORKER_FROM ? index.filterData() : undefined
  const theirs = data && worker ? worker.scan({filter: data, base, files: files.filter((_, i) => i % 2 === 1)}) : undefined
  const mine = theirs ? files.filter((_, i) => i % 2 === 0) : files
  const found = (file: string, line: number, needles: Needle[]) => {
    for (const n of needles) report({kind: 'value', file, line, secret: n.secret, key: n.key, ...(n.line ? {valueLine: n.line} : {})})
  }
  let hits: Array<{offset: number; needles: Needle[]}> = []
  const hit = (offset: number, needles: Needle[]) => {
    hits.push({offset, needles})
  }
  const stats = forEachTextFile(base, mine, (file, buffer, length) => {
    findInText(index, buffer, 0, length, hit)
    if (!hits.length) return
    const lines = new LineCounter(buffer, 0)
    for (const h of hits.sort((a, b) => a.offset - b.offset)) found(file, lines.lineOf(h.offset), h.needles)
    hits = []
  })
  if (!theirs) return stats
  const other = await theirs
  for (const c of other.candidates) {
    const needles = index.match(c.bytes, 0, c.bytes.length)
    if (needles) found(c.file, c.line, needles)
  }
  return {files: stats.files + other.stats.files, bytes: stats.bytes + other.stats.bytes, skipped: stats.skipped + other.stats.skipped}
}

/** Reads each file whole (one buffer, reused) and hands over the text ones; binary and too large files are counted as skipped. */
export function forEachTextFile(
  base: string,
  files: string[],
  each: (file: string, buffer: Buffer, length: number) => void,
): FileScanStats {
  const stats: FileScanStats = {files: 0, bytes: 0, skipped: 0}
  const reader = new WholeFileReader()
  for (const file of files) {
    const length = reader.read(base + file)
    if (length === undefined) continue // gone since it was listed (deleted but still in the index), a directory, unreadable
    const buffer = reader.buffer
    if (length > MAX_SCANNED_FILE || buffer.subarray(0, Math.min(length, BINARY_PROBE)).indexOf(0) >= 0) {
      stats.skipped++
      continue
    }
    stats.files++
    stats.bytes += length
    each(file, buffer, length)
  }
  return stats
}

/** A job for the worker thread, and what it hands back: candidates past the length and tag filter, with their file and line. */
export interface WorkerJob {
  filter: FilterData
  base: string
  files: string[]
}

export interface WorkerResult {
  stats: FileScanStats
  candidates: Array<{file: string; line: number; bytes: Uint8Array}>
}

/** A worker thread started ahead (its start-up overlaps the state's loading), or none where its script is not built (tests on the sources). */
export class ScanWorker {
  private constructor(private readonly worker: Worker) {}

  static start(): ScanWorker | undefined {
    const script = new URL('./scan-worker.js', import.meta.url)
    if (!existsSync(fileURLToPath(script))) return undefined
    const worker = new Worker(script)
    worker.unref()
    return new ScanWorker(worker)
  }

  scan(job: WorkerJob): Promise<WorkerResult> {
    return new Promise((resolve, reject) => {
      this.worker.once('message', resolve)
      this.worker.once('error', reject)
      this.worker.postMessage(job)
    })
  }

  close(): Promise<number> {
    return this.worker.terminate()
  }
}

/**
 * Reads whole files into one buffer that grows as needed. A file is opened non-blocking (a FIFO
 * answers at once, and is skipped) and read until a short read, which for a regular file is its
 * end (no fstat: one system call less per file).
 */
class WholeFileReader {
  buffer = Buffer.allocUnsafe(1024 * 1024)

  /** The file's length, its bytes at the start of `buffer`; more than MAX_SCANNED_FILE when larger (not all read); undefined when unreadable. */
  read(file: string): number | undefined {
    let fd: number
    try {
      fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK)
    } catch {
      return undefined
    }
    try {
      let length = 0
      for (;;) {
        const n = readSync(fd, this.buffer, length, this.buffer.length - length, null)
        length += n
        if (n === 0 || length < this.buffer.length || length > MAX_SCANNED_FILE) return length
        const grown = Buffer.allocUnsafe(this.buffer.length * 2)
        this.buffer.copy(grown, 0, 0, length)
        this.buffer = grown
      }
    } catch {
      return undefined
    } finally {
      closeSync(fd)
    }
  }
}
