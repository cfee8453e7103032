/**
 * `secretctl scan [PATH…]` over files: in a git work tree, the files git tracks or would track
 * (what .gitignore excludes is not scanned: build output, node_modules, the state directory),
 * elsewhere every regular file under the paths but `.git`, `node_modules` and `.secretctl`
 * (symbolic links are not followed).
 *
 * A large list is scanned by several threads (`git grep`, whose rate is the benchmark's reference,
 * uses threads too): the main thread and up to three workers (scan-worker.ts) take the next files
 * from a shared counter. A worker reads its files and hands the texts to the main thread through a
 * ring of shared memory (text-ring.ts, which says why), and the main thread matches them; while no
 * text waits, the main thread reads and matches files of its own. Workers are started with the
 * command (ScanWorkers), as they take milliseconds to start; each first scans a few files kept for
 * it at the end of the list, so that every worker has a part however late it starts (and the
 * tests can plant a value in it). A list under 2,000 files is scanned by the main thread alone.
 */
import {readdirSync, statSync} from 'node:fs'
import {availableParallelism} from 'node:os'
import path from 'node:path'
import {setImmediate} from 'node:timers/promises'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {Worker} from 'node:worker_threads'
import {FileScanner, type FileScanStats} from './file-scanner.js'
import {gitFiles} from './git.js'
import type {ScanIndex, TagFilterData} from './scan-index.js'
import type {ValueFinding} from './scan-findings.js'
import {newTextRing, type TextRingData, TextRingReader} from './text-ring.js'

const SKIPPED_DIRS = new Set(['.git', 'node_modules', '.secretctl'])
/** Files a thread takes at a time: under a millisecond of work, so that the threads end together. */
const CHUNK = 32
/** Below this many files, the main thread alone (a worker's start would cost more than it saves). */
const PARALLEL_MIN_FILES = 2000
/** Threads by default: git grep's default is the number of cores; past four, reading files is the limit. */
const MAX_DEFAULT_THREADS = 4

/** What a scanning worker is given: its part of the work. */
export interface ScanWorkerData {
  filter: TagFilterData
  /** The directory the files are relative to, with a trailing separator; '' for the working directory. */
  base: string
  files: string[]
  /** files[0, shared) are taken CHUNK at a time from `next` (an Int32Array over shared memory). */
  next: Int32Array
  shared: number
  chunk: number
  /** The files kept for this worker: [from, to). */
  kept: [number, number]
  /** Where it puts the texts it reads, for the main thread. */
  ring: TextRingData
  /** Bumped and notified at each slot of a ring published (one Int32Array over shared memory for all rings). */
  wake: Int32Array
}

/** What a scanning worker posts back: its counts, and the candidates that passed the filter (never leaving the process). */
export interface ScanWorkerResult {
  stats: FileScanStats
  hits: Array<{file: number; line: number; bytes: Uint8Array}>
}

/** The files to scan under the paths. */
export interface FilesToScan {
  /** Relative to `cwd`, `/`-separated, sorted: in a work tree those git tracks, elsewhere every file found. */
  files: string[]
  /** Listed by git (in a work tree). */
  git: boolean
  /** In a work tree, the untracked files .gitignore does not exclude (none elsewhere), sorted: listed while the others are scanned. */
  untracked: Listing
}

/** A list still being made: `files` is set once `done` has settled. */
export interface Listing {
  done: Promise<string[]>
  files?: string[]
}

function listing(done: Promise<string[]>): Listing {
  const l: Listing = {done}
  done.then((files) => (l.files = files)).catch(() => {}) // a failure is the awaiting caller's to see
  return l
}

/**
 * The files to scan under the paths: in a work tree, those git tracks and, later, the untracked
 * ones .gitignore does not exclude (finding them walks the work tree, while reading the index is
 * quick); elsewhere every regular file. `onlyTracked` (`--staged`, which reads no file but the
 * tracked `.env` ones): neither the untracked files nor the walk.
 */
export async function filesToScan(cwd: string, paths: string[], onlyTracked = false): Promise<FilesToScan> {
  const untracked = onlyTracked ? Promise.resolve(undefined) : gitFiles(cwd, paths, 'others')
  untracked.catch(() => {}) // awaited by the caller when the tracked files are listed
  const tracked = await gitFiles(cwd, paths, 'cached')
  if (tracked) return {files: tracked.sort(), git: true, untracked: listing(untracked.then((others) => (others ?? []).sort()))}
  const files: string[] = []
  for (const p of onlyTracked ? [] : paths) walkFiles(cwd, path.normalize(p), files)
  return {files: [...new Set(files)].sort(), git: false, untracked: listing(Promise.resolve([]))}
}

function walkFiles(cwd: string, rel: string, out: string[]): void {
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
    if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) walkFiles(cwd, child, out)
    else if (entry.isFile()) out.push(child.split(path.sep).join('/'))
  }
}

/**
 * Scanning workers started ahead of their work, each waiting for its part: a worker takes
 * milliseconds to start, which pass while the caller reads the state and lists the files. `threads`
 * given: that many threads in all (1: no worker); by default one fewer than the cores, up to three.
 * Workers not given a part are stopped by scanFiles, or by stop().
 */
export class ScanWorkers {
  private readonly started: Array<{worker: Worker; result: Promise<ScanWorkerResult>}> = []

  constructor(readonly threads: number | undefined) {
    const count = threads === undefined ? Math.min(availableParallelism(), MAX_DEFAULT_THREADS) - 1 : threads - 1
    const script = count > 0 ? workerScript() : undefined
    for (let w = 0; script && w < count; w++) {
      const worker = new Worker(script)
      // Idle, it must not keep the process alive; given a part, it is awaited (ref() again).
      worker.unref()
      const result = resultOf(worker)
      result.catch(() => {}) // a worker stopped unused rejects; one in use is awaited
      this.started.push({worker, result})
    }
  }

  /** Workers to use for a list of this many files, from an index that may not allow them; the others are stopped. */
  take(index: ScanIndex, files: number): Array<{worker: Worker; result: Promise<ScanWorkerResult>}> {
    const wanted = index.counts.unmarked ? 0 : this.threads !== undefined ? files - 1 : files >= PARALLEL_MIN_FILES ? files : 0
    const taken = this.started.splice(0, Math.max(0, wanted))
    this.stop()
    return taken
  }

  stop(): void {
    for (const {worker} of this.started.splice(0)) void worker.terminate()
  }
}

/**
 * Scans the files for the index's values with the main thread and the workers; each hit becomes a
 * finding (in no particular order across files when threads share the work). The untracked files
 * join them when they are listed by then, or when the tracked files are too few to share out;
 * otherwise the main thread scans them alone once the others are done (they are usually few).
 */
export async function scanFiles(
  index: ScanIndex,
  cwd: string,
  tracked: string[],
  untracked: Listing,
  report: (f: ValueFinding) => void,
  workers: ScanWorkers,
): Promise<FileScanStats & {threads: number}> {
  // Names relative to the working directory are opened as they are (the kernel walks fewer directories).
  const base = path.resolve(cwd) === process.cwd() ? '' : path.resolve(cwd) + path.sep
  const together = untracked.files ?? (tracked.length < PARALLEL_MIN_FILES ? await untracked.done : undefined)
  const files = together?.length ? [...tracked, ...together].sort() : tracked
  const stats = await scanShared(index, base, files, report, workers)
  const more = together ? [] : await untracked.done
  if (more.length) {
    const alone = new FileScanner(index, base, more, reportTo(more, report))
    alone.scan(0, more.length)
    addCounts(stats, alone.stats)
  }
  return stats
}

function addCounts(stats: FileScanStats, more: FileScanStats): void {
  stats.files += more.files
  stats.bytes += more.bytes
  stats.skipped += more.skipped
}

/** What the index found in files[file] at a line, as findings. */
function reportTo(files: string[], report: (f: ValueFinding) => void) {
  return (file: number, line: number, needles: ReturnType<ScanIndex['match']>) => {
    for (const n of needles ?? [])
      report({kind: 'value', file: files[file] as string, line, secret: n.secret, key: n.key, ...(n.line ? {valueLine: n.line} : {})})
  }
}

/** The files scanned by the main thread and the workers (a worker's texts matched by the main thread; text-ring.ts). */
async function scanShared(
  index: ScanIndex,
  base: string,
  files: string[],
  report: (f: ValueFinding) => void,
  workers: ScanWorkers,
): Promise<FileScanStats & {threads: number}> {
  const found = reportTo(files, report)
  const main = new FileScanner(index, base, files, found)
  const filter = index.tagFilter()
  const helpers = workers.take(index, files.length)
  if (!filter || !helpers.length) {
    main.scan(0, files.length)
    return {...main.stats, threads: 1}
  }

  const kept = Math.min(CHUNK, Math.floor(files.length / (helpers.length + 1)))
  const shared = files.length - kept * helpers.length
  const next = new Int32Array(new SharedArrayBuffer(4))
  const wake = new Int32Array(new SharedArrayBuffer(4))
  const rings = helpers.map(({worker}, w) => {
    const from = shared + kept * w
    const part: ScanWorkerData = {filter, base, files, next, shared, chunk: CHUNK, kept: [from, from + kept], ring: newTextRing(), wake}
    worker.ref()
    worker.postMessage(part)
    return new TextRingReader(part.ring)
  })
  const reports = Promise.all(helpers.map((h) => h.result))
  reports.catch(() => {}) // awaited below
  const scanText = main.scanText.bind(main)
  for (;;) {
    const seen = Atomics.load(wake, 0)
    let took = false
    for (const ring of rings) while (ring.take(scanText)) took = true
    if (took) continue
    const from = Atomics.add(next, 0, CHUNK)
    if (from < shared) {
      main.scan(from, Math.min(from + CHUNK, shared))
      continue
    }
    if (rings.every((r) => r.done)) break
    // The workers are at their last files: wait for a slot, and let the news of a worker that failed come in.
    if (Atomics.wait(wake, 0, seen, 10) === 'timed-out') await Promise.race([setImmediate(), reports])
  }
  const stats = {...main.stats, threads: helpers.length + 1}
  for (const r of await reports) {
    addCounts(stats, r.stats)
    for (const h of r.hits) found(h.file, h.line, index.match(h.bytes, 0, h.bytes.length))
  }
  return stats
}

/**
 * The worker's script: scan-worker.js beside this module (tsc's output), or at the top of the
 * bundle (scripts/bundle.js), a level or two above the chunk or command file this module is in.
 * Running from the TypeScript sources (the unit tests), there is none, and the main thread scans alone.
 */
function workerScript(): URL | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (let up = 0; up < 3; up++) {
    const file = path.join(dir, 'scan-worker.js')
    if (statSync(file, {throwIfNoEntry: false})?.isFile()) return pathToFileURL(file)
    dir = path.dirname(dir)
  }
  return undefined
}

/** The worker's report, taken as soon as it is posted (the thread's own end, some milliseconds later, is not waited for). */
function resultOf(worker: Worker): Promise<ScanWorkerResult> {
  return new Promise((resolve, reject) => {
    worker.once('message', (r: ScanWorkerResult) => {
      worker.unref()
      resolve(r)
    })
    worker.once('error', reject)
    // After a report, settling again does nothing.
    worker.once('exit', (code) =>
      reject(new Error(`a scanning thread stopped (exit code ${code}) before it reported: the scan is incomplete`)),
    )
  })
}
