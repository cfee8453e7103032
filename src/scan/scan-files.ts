/**
 * `secretctl scan [PATH…]` over files: in a git work tree, the files git tracks or would track
 * (what .gitignore excludes is not scanned: build output, node_modules, the state directory),
 * elsewhere every regular file under the paths but `.git`, `node_modules` and `.secretctl`
 * (symbolic links are not followed). Each file is read whole into one reused buffer; a file with a
 * NUL byte in its first 8 KiB is binary (as git decides) and skipped, and so is one larger than
 * 64 MiB. Hits are reported with their line, found with memchr only for the file that has them.
 */
import {closeSync, constants, openSync, readdirSync, readSync, statSync} from 'node:fs'
import path from 'node:path'
import {findInText, LineCounter} from './candidate-tokens.js'
import {gitFiles} from './git.js'
import type {Needle, ScanIndex} from './scan-index.js'
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

/** Scans the files for the index's values; each hit becomes a finding. */
export function scanFiles(index: ScanIndex, cwd: string, files: string[], report: (f: ValueFinding) => void): FileScanStats {
  const stats: FileScanStats = {files: 0, bytes: 0, skipped: 0}
  const base = path.resolve(cwd) + path.sep
  const reader = new WholeFileReader()
  let hits: Array<{offset: number; needles: Needle[]}> = []
  const hit = (offset: number, needles: Needle[]) => {
    hits.push({offset, needles})
  }
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
    findInText(index, buffer, 0, length, hit)
    if (!hits.length) continue
    const lines = new LineCounter(buffer, 0)
    for (const h of hits.sort((a, b) => a.offset - b.offset)) {
      const line = lines.lineOf(h.offset)
      for (const n of h.needles) report({kind: 'value', file, line, secret: n.secret, key: n.key, ...(n.line ? {valueLine: n.line} : {})})
    }
    hits = []
  }
  return stats
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
