/**
 * The worker thread of `secretctl scan` (scan-files.ts starts it): reads its share of the files,
 * cuts them into candidates and keeps those whose length and tag some recorded text has, with
 * their file and line, for the main thread to fingerprint. It holds no fingerprint and no name.
 */
import {parentPort} from 'node:worker_threads'
import {findInText, LineCounter} from './candidate-tokens.js'
import {forEachTextFile, type WorkerJob, type WorkerResult} from './scan-files.js'
import {TagFilter} from './tag-filter.js'

const none = () => {}

parentPort?.on('message', (job: WorkerJob) => {
  const filter = new TagFilter(job.filter)
  const candidates: WorkerResult['candidates'] = []
  const stats = forEachTextFile(job.base, job.files, (file, buffer, length) => {
    findInText(filter, buffer, 0, length, none)
    const kept = filter.take()
    if (!kept.length) return
    const lines = new LineCounter(buffer, 0)
    for (const c of kept.sort((a, b) => a.offset - b.offset)) candidates.push({file, line: lines.lineOf(c.offset), bytes: c.bytes})
  })
  const result: WorkerResult = {stats, candidates}
  parentPort?.postMessage(result)
})
