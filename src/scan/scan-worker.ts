/**
 * A scanning thread of `secretctl scan` (started by scan-files.ts): it reads files and hands their
 * texts to the main thread through a ring of shared memory (text-ring.ts), which matches them. It
 * first scans itself the files kept for it at the end of the list, then takes the next files from
 * a counter it shares with the main thread until none are left; a file that finds the ring full
 * (or does not fit a slot) it matches itself too. It holds no fingerprint: it passes on only the
 * candidates whose length and keyed tag match a recorded text (TagFilter), a handful per
 * repository, which the main thread checks against the index.
 */
import {parentPort} from 'node:worker_threads'
import {FileScanner, readInto} from './file-scanner.js'
import {TagFilter} from './scan-index.js'
import type {ScanWorkerData, ScanWorkerResult} from './scan-files.js'
import {TextRingWriter} from './text-ring.js'

// Started before its part is known (ScanWorkers): it waits for it, does it, and ends.
parentPort?.once('message', (data: ScanWorkerData) => {
  parentPort?.postMessage(scanWorkerPart(data))
  parentPort?.close()
})

/** A worker's part (run in the worker; a test runs it in its own thread): its counts and the candidates it let through. */
export function scanWorkerPart(data: ScanWorkerData): ScanWorkerResult {
  const result: ScanWorkerResult = {stats: {files: 0, bytes: 0, skipped: 0}, hits: []}
  const scanner = new FileScanner(new TagFilter(data.filter), data.base, data.files, (file, line, bytes) =>
    result.hits.push({file, line, bytes}),
  )
  const ring = new TextRingWriter(data.ring, data.wake)
  try {
    scanner.scan(data.kept[0], data.kept[1])
    for (;;) {
      const from = Atomics.add(data.next, 0, data.chunk)
      if (from >= data.shared) break
      for (let i = from; i < Math.min(from + data.chunk, data.shared); i++) {
        const room = ring.room()
        const length = room > 0 ? readInto(data.base + data.files[i], ring.bytes, ring.offset, room) : room
        if (length === undefined) continue // unreadable, as FileScanner#scan would find it
        if (length < room) ring.add(i, length)
        else scanner.scan(i, i + 1) // the ring is full, or the text did not fit what is left of a slot
      }
    }
  } finally {
    ring.close()
  }
  result.stats = scanner.stats
  return result
}
