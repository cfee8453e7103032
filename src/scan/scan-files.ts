/**
 * `secretctl scan [PATH…]` over files: in a git work tree, the files git tracks or would track
 * (what .gitignore excludes is not scanned: build output, node_modules, the state directory),
 * elsewhere every regular file under the paths but `.git`, `node_modules` and `.secretctl`
 * (symbolic links are not followed). Each file is read whole into one reused buffer; a file with a
 * NUL byte in its first 8 KiB is binary (as git decides) and skipped, and so is one larger than
 * 64 MiB. Hits are reported with their line, found with memchr only for the file that has them.
 */
import {closeSync, fstatSync, openSync, readdirSync, readSync, statSync} from 'node:fs'
import path from 'node:path'
import {findInText, LineCounter} from './candidate-tokens.js'
import {gitFiles, inWorkTree} from './git.js'
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
  if (await inWorkTree(cwd)) return {files: (await gitFiles(cwd, paths, true)).sort(), git: true}
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
  let buffer = Buffer.allocUnsafe(1024 * 1024)
  for (const file of files) {
    let fd: number
    try {
      fd = openSync(path.resolve(cwd, file), 'r')
    } catch {
      continue // gone since it was listed (deleted but still in the index), or unreadable
    }
    let length = 0
    try {
      const info = fstatSync(fd)
      if (!info.isFile()) continue
      if (info.size > MAX_SCANNED_FILE) {
        stats.skipped++
        continue
      }
      if (info.size > buffer.length) buffer = Buffer.allocUnsafe(info.size)
      while (length < info.size) {
        const n = readSync(fd, buffer, length, info.size - length, null)
        if (n === 0) break
        length += n
      }
    } finally {
      closeSync(fd)
    }
    if (buffer.subarray(0, Math.min(length, BINARY_PROBE)).indexOf(0) >= 0) {
      stats.skipped++
      continue
    }
    stats.files++
    stats.bytes += length
    const hits: Array<{offset: number; needles: Needle[]}> = []
    findInText(index, buffer, 0, length, (offset, needles) => hits.push({offset, needles}))
    if (!hits.length) continue
    const lines = new LineCounter(buffer, 0)
    for (const h of hits.sort((a, b) => a.offset - b.offset)) {
      const line = lines.lineOf(h.offset)
      for (const n of h.needles) report({kind: 'value', file, line, secret: n.secret, key: n.key, ...(n.line ? {valueLine: n.line} : {})})
    }
  }
  return stats
}
