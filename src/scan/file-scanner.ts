/**
 * The scanning of files, as the main thread and each scanning worker run it (scan-files.ts shares
 * the list out): each file is read whole into one reused buffer; a file with a NUL byte in its
 * first 8 KiB is binary (as git decides) and skipped, and so is one larger than 64 MiB. A hit gets
 * its line, counted with memchr only in the file that has it.
 */
import {closeSync, constants, openSync, readSync} from 'node:fs'
import {type CandidateMatcher, findInText, LineCounter} from './candidate-tokens.js'

export const MAX_SCANNED_FILE = 64 * 1024 * 1024
const BINARY_PROBE = 8000

export interface FileScanStats {
  files: number
  bytes: number
  /** Binary files, and files too large, not scanned. */
  skipped: number
}

/** Told of each hit, in file order and in order within a file: the file's index in the list, the hit's line, the matcher's answer. */
export type FileHitHandler<T> = (file: number, line: number, found: T) => void

export class FileScanner<T> {
  readonly stats: FileScanStats = {files: 0, bytes: 0, skipped: 0}
  private readonly reader = new WholeFileReader()
  private hits: Array<{offset: number; found: T}> = []
  private readonly hit = (offset: number, found: T) => {
    this.hits.push({offset, found})
  }

  /** `base` ends with a separator (or is '' for the working directory); the files are relative to it. */
  constructor(
    private readonly matcher: CandidateMatcher<T>,
    private readonly base: string,
    private readonly files: readonly string[],
    private readonly onHit: FileHitHandler<T>,
  ) {}

  /** Scans files[from, to). */
  scan(from: number, to: number): void {
    const reader = this.reader
    for (let i = from; i < to; i++) {
      const length = reader.read(this.base + this.files[i])
      if (length === undefined) continue // gone since it was listed (deleted but still in the index), a directory, unreadable
      if (length > MAX_SCANNED_FILE) this.stats.skipped++
      else this.scanText(i, reader.buffer, 0, length)
    }
  }

  /** Scans the text of files[file], read into bytes[start, end) (by this thread, or handed over by a reading thread). */
  scanText(file: number, bytes: Buffer, start: number, end: number): void {
    const {stats} = this
    if (bytes.subarray(start, Math.min(end, start + BINARY_PROBE)).indexOf(0) >= 0) {
      stats.skipped++
      return
    }
    stats.files++
    stats.bytes += end - start
    findInText(this.matcher, bytes, start, end, this.hit)
    if (!this.hits.length) return
    const lines = new LineCounter(bytes, start)
    for (const h of this.hits.sort((a, b) => a.offset - b.offset)) this.onHit(file, lines.lineOf(h.offset), h.found)
    this.hits = []
  }
}

/**
 * Reads a file into bytes[offset, offset + room) with one read (a short read is the end of a
 * regular file): its length, `room` when it filled it (it may be longer), undefined when unreadable.
 */
export function readInto(file: string, bytes: Buffer, offset: number, room: number): number | undefined {
  const fd = openToScan(file)
  if (fd === undefined) return undefined
  try {
    return readSync(fd, bytes, offset, room, null)
  } catch {
    return undefined
  } finally {
    closeSync(fd)
  }
}

/** A file opened to be scanned: non-blocking (a FIFO answers at once, and is skipped); undefined when it cannot be opened. */
function openToScan(file: string): number | undefined {
  try {
    return openSync(file, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch {
    return undefined
  }
}

/**
 * Reads whole files into one buffer that grows as needed, until a short read, which for a regular
 * file is its end (no fstat: one system call less per file).
 */
class WholeFileReader {
  buffer = Buffer.allocUnsafe(1024 * 1024)

  /** The file's length, its bytes at the start of `buffer`; more than MAX_SCANNED_FILE when larger (not all read); undefined when unreadable. */
  read(file: string): number | undefined {
    const fd = openToScan(file)
    if (fd === undefined) return undefined
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
