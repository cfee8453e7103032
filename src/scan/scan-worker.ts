/**
 * A scanning thread of `secretctl scan` (started by scan-files.ts): it scans first the files kept
 * for it at the end of the list, then takes the next files from a counter it shares with the other
 * threads until none are left, and posts what it found. It holds no fingerprint: it passes on only
 * the candidates whose length and keyed tag match a recorded text (TagFilter), a handful per
 * repository, which the main thread checks against the index.
 */
import {parentPort} from 'node:worker_threads'
import {FileScanner} from './file-scanner.js'
import {TagFilter} from './scan-index.js'
import type {ScanWorkerData, ScanWorkerResult} from './scan-files.js'

// Started before its part is known (ScanWorkers): it waits for it, does it, and ends.
parentPort?.once('message', (data: ScanWorkerData) => {
  const result: ScanWorkerResult = {stats: {files: 0, bytes: 0, skipped: 0}, hits: []}
  const scanner = new FileScanner(new TagFilter(data.filter), data.base, data.files, (file, line, bytes) =>
    result.hits.push({file, line, bytes}),
  )
  scanner.scan(data.kept[0], data.kept[1])
  scanner.scanShared(data.next, data.shared, data.chunk)
  result.stats = scanner.stats
  parentPort?.postMessage(result)
  parentPort?.close()
})
