/**
 * `secretctl scan [PATH…] [--git [--since REV]] [--staged]`: where the values of managed secrets
 * occur, found with the state's fingerprints and never with a value (src/scan/), in the files under
 * the paths (or, with --staged, in the lines staged for the next commit) and, with --git, in the
 * lines every commit added; and, besides, literal-looking secrets in the
 * manifests outside `data`, and `.env` files git tracks with values in clear. The state is only
 * read; without one, the values are not looked for and the result says so.
 */
import {existsSync} from 'node:fs'
import path from 'node:path'
import {MissingStateError, UsageError} from '../errors.js'
import {git} from '../scan/git.js'
import {scanManifestLiterals} from '../scan/manifest-literals.js'
import {type Finding, sortFindings, type ValueFinding} from '../scan/scan-findings.js'
import {type FilesToScan, filesToScan, ScanWorkers, scanFiles} from '../scan/scan-files.js'
import {scanHistory, scanStaged} from '../scan/scan-history.js'
import {type IndexCounts, ScanIndex} from '../scan/scan-index.js'
import {scanTagSeed} from '../scan/scan-marks.js'
import {scanTrackedEnvFiles} from '../scan/tracked-env-files.js'
import {withExistingState} from '../workspace/environment-state.js'

export interface ScanRequest {
  /** The manifests directory: its state, and its manifests checked for literals. */
  dir: string
  state?: string
  environment?: string
  env: NodeJS.ProcessEnv
  /** Where paths are relative to, and findings named from. */
  cwd: string
  /** Files and directories to scan (default `.`). */
  paths: string[]
  /** Also the lines every commit added. */
  git: boolean
  /** Only the commits after this one (REV..HEAD). */
  since?: string
  /** The lines staged for the next commit instead of the files (a pre-commit hook). */
  staged?: boolean
  /** Threads scanning the files; by default up to four on a list of 2,000 files or more, one below that. */
  threads?: number
}

export interface ScanResult {
  /** Something was found: the command exits 1. */
  found: boolean
  /** The staged changes were scanned instead of the files. */
  staged: boolean
  findings: Finding[]
  /** What was looked for: keys of the state's secrets, those not worth looking for, those recorded before scan existed. */
  looked: IndexCounts & {state: string | null}
  stats: {
    files: number
    bytes: number
    skippedFiles: number
    commits: number
    historyBytes: number
    /** Bytes of staged added lines scanned (`--staged`). */
    stagedBytes: number
    /** Threads that scanned the files (the main thread and its workers). */
    threads: number
    /**
     * Milliseconds: on the files (from the state's index being ready, any rest of the listings
     * included, to the last file scanned); the listing the scan of the files starts from (the
     * tracked files, run while the state is read; the untracked ones are listed while those are
     * scanned); on the history; in all (from the state read to the end).
     */
    ms: {files: number; listing: number; history: number; total: number}
  }
  notes: string[]
}

export async function scanRepository(req: ScanRequest): Promise<ScanResult> {
  const started = performance.now()
  const paths = req.paths.length ? req.paths : ['.']
  for (const p of paths)
    if (!existsSync(path.resolve(req.cwd, p))) throw new UsageError(`${p} does not exist`, 'give files or directories to scan')
  // Started first, so that they start while the state is read and the files are listed; stopped at the end if unused.
  const workers = new ScanWorkers(req.staged ? 1 : req.threads)
  // The listings (git processes) run while the state is read, too.
  const listing = timed(filesToScan(req.cwd, paths, req.staged))
  listing.catch(() => {}) // awaited below, unless reading the state fails first
  try {
    return await scanWith(req, paths, workers, listing, started)
  } finally {
    workers.stop()
  }
}

async function scanWith(
  req: ScanRequest,
  paths: string[],
  workers: ScanWorkers,
  listing: Promise<{value: FilesToScan; ms: number}>,
  started: number,
): Promise<ScanResult> {
  const notes: string[] = []
  const {index, location} = await loadIndex(req, notes)
  if (index.empty) workers.stop()
  const findings: Finding[] = []
  const values = new Map<string, ValueFinding>()
  const report = (f: ValueFinding) => {
    const id = [f.commit ?? '', f.file, f.line, f.secret, f.key, f.valueLine ?? 0].join('\0')
    if (!values.has(id)) values.set(id, f)
  }

  const filesStarted = performance.now()
  const {value: listed, ms: listingMs} = await listing
  const fileStats =
    index.empty || req.staged
      ? {files: 0, bytes: 0, skipped: 0, threads: 0}
      : await scanFiles(index, req.cwd, listed.files, listed.untracked, report, workers)
  const filesMs = performance.now() - filesStarted

  let history = {commits: 0, bytes: 0}
  let staged = {commits: 0, bytes: 0}
  const historyStarted = performance.now()
  if ((req.git || req.staged) && !listed.git) throw new UsageError(`--${req.git ? 'git' : 'staged'}: ${req.cwd} is not in a git work tree`)
  if ((req.git || req.staged) && !index.empty) {
    // git names the files of a patch from the top of the work tree: named here from the working directory.
    const prefix = ((await git(['rev-parse', '--show-prefix'], req.cwd)) ?? '').trim().replace(/\/$/, '')
    const fromHere = (f: ValueFinding) => report(prefix ? {...f, file: path.posix.relative(prefix, f.file) || f.file} : f)
    if (req.staged) staged = await scanStaged(index, req.cwd, paths, fromHere)
    if (req.git) history = await scanHistory(index, req.cwd, {since: req.since, paths}, fromHere)
  }
  const historyMs = performance.now() - historyStarted
  findings.push(...values.values())
  findings.push(...(await scanManifestLiterals(path.resolve(req.dir), req.cwd)))
  findings.push(...scanTrackedEnvFiles(req.cwd, listed.git ? listed.files : []))

  if (index.counts.unmarked)
    notes.push(
      `${index.counts.unmarked} key${index.counts.unmarked === 1 ? ' was' : 's were'} recorded before scan needles existed: looked for at every length, which is slow (the next write of ${index.counts.unmarked === 1 ? 'its value' : 'their values'} records them)`,
    )
  if (index.counts.notScanned)
    notes.push(
      `${index.counts.notScanned} key${index.counts.notScanned === 1 ? ' holds a value' : 's hold values'} too short or too plain to look for (under 8 bytes, or one word)`,
    )
  const sorted = sortFindings(findings)
  return {
    found: sorted.length > 0,
    staged: req.staged === true,
    findings: sorted,
    looked: {...index.counts, state: location},
    stats: {
      files: fileStats.files,
      bytes: fileStats.bytes,
      skippedFiles: fileStats.skipped,
      commits: history.commits,
      historyBytes: history.bytes,
      stagedBytes: staged.bytes,
      threads: fileStats.threads,
      ms: {
        files: Math.round(filesMs),
        listing: Math.round(listingMs),
        history: Math.round(historyMs),
        total: Math.round(performance.now() - started),
      },
    },
    notes,
  }
}

/** A promise's value and the milliseconds from now until it settled. */
async function timed<T>(work: Promise<T>): Promise<{value: T; ms: number}> {
  const from = performance.now()
  const value = await work
  return {value, ms: performance.now() - from}
}

/** The index of the state's key records; an empty one (and a note) when there is no state. */
async function loadIndex(req: ScanRequest, notes: string[]): Promise<{index: ScanIndex; location: string | null}> {
  try {
    return await withExistingState({dir: req.dir, state: req.state, environment: req.environment, env: req.env}, async (state) => {
      const [secrets, seed, fingerprint] = await Promise.all([state.listSecrets(), scanTagSeed(state), state.fingerprinter()])
      return {index: new ScanIndex(secrets, seed, fingerprint), location: state.location}
    })
  } catch (err) {
    if (!(err instanceof MissingStateError)) throw err
    notes.push(`no state (${err.message}): the values of managed secrets were not looked for, only literal-looking secrets and .env files`)
    return {index: new ScanIndex([], 0, () => ''), location: null}
  }
}
