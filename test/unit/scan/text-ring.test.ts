/**
 * The ring that hands file texts from a reading thread to the main thread, run in one thread: the
 * texts come out whole and in order, a full ring says so (room 0) instead of waiting, and a worker's
 * part puts what fits in the ring and matches the rest itself, so that every planted value is found
 * once whichever way its file went. The threads themselves are run by the e2e tests (`scan --threads`).
 */
import {randomBytes} from 'node:crypto'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {FileScanner} from '../../../src/scan/file-scanner.js'
import type {ScanWorkerData} from '../../../src/scan/scan-files.js'
import {scanWorkerPart} from '../../../src/scan/scan-worker.js'
import {newTextRing, RING_SLOTS, SLOT_BYTES, TextRingReader, TextRingWriter} from '../../../src/scan/text-ring.js'
import {scanIndexOf} from '../../support/scan-index.js'

const counter = () => new Int32Array(new SharedArrayBuffer(4))

function drain(reader: TextRingReader): Array<{file: number; text: string}> {
  const out: Array<{file: number; text: string}> = []
  while (reader.take((file, bytes, start, end) => out.push({file, text: bytes.toString('latin1', start, end)})));
  return out
}

describe('TextRing', () => {
  it('hands texts over whole and in order; a full ring has no room, and room comes back when slots are taken', () => {
    const ring = newTextRing()
    const wake = counter()
    const writer = new TextRingWriter(ring, wake)
    const reader = new TextRingReader(ring)
    expect(reader.take(() => {})).toBe(false)
    const written: Array<{file: number; text: string}> = []
    // Texts of 100 KiB: ten fill a slot but for less than 64 KiB, which then is published.
    let file = 0
    for (;;) {
      const room = writer.room()
      if (room === 0) break
      const text = String.fromCharCode(97 + (file % 26)).repeat(100 * 1024 - (file % 7))
      expect(room).toBeGreaterThan(text.length)
      writer.bytes.write(text, writer.offset, 'latin1')
      writer.add(file, text.length)
      written.push({file, text})
      file++
    }
    // Every slot full and none taken: the writer is told, not made to wait.
    expect(written.length).toBe(RING_SLOTS * 10)
    expect(writer.room()).toBe(0)
    expect(wake[0]).toBe(RING_SLOTS)
    const first: Array<{file: number; text: string}> = []
    expect(reader.take((f, bytes, start, end) => first.push({file: f, text: bytes.toString('latin1', start, end)}))).toBe(true)
    expect(first).toEqual(written.slice(0, 10))
    expect(writer.room()).toBe(SLOT_BYTES)
    writer.bytes.write('last', writer.offset, 'latin1')
    writer.add(file, 4)
    expect(reader.done).toBe(false)
    writer.close()
    expect(reader.done).toBe(false) // closed, but slots remain to take
    expect(drain(reader)).toEqual([...written.slice(10), {file, text: 'last'}])
    expect(reader.done).toBe(true)
    expect(wake[0]).toBe(RING_SLOTS + 2)
  })

  it('publishes a slot at 1,024 texts however small they are, and an empty text is a text', () => {
    const ring = newTextRing()
    const writer = new TextRingWriter(ring, counter())
    for (let file = 0; file < 1500; file++) {
      expect(writer.room()).toBeGreaterThan(0)
      writer.add(file, 0)
    }
    writer.close()
    const reader = new TextRingReader(ring)
    const perSlot: number[] = []
    for (;;) {
      let texts = 0
      if (!reader.take(() => texts++)) break
      perSlot.push(texts)
    }
    expect(perSlot).toEqual([1024, 476])
    expect(reader.done).toBe(true)
  })
})

describe("a worker's part", () => {
  it('puts the texts that fit in the ring and matches the rest itself: each planted value found once', async () => {
    const TOKEN = `tok_${randomBytes(16).toString('hex')}`
    const index = await scanIndexOf({app: {TOKEN}})
    const dir = mkdtempSync(path.join(os.tmpdir(), 'secretctl-text-ring-'))
    // 400 files of ~40 KiB: the ring takes about 200 before it is full (nobody takes from it here).
    const names: string[] = []
    const planted = new Set([0, 7, 150, 399])
    for (let f = 0; f < 400; f++) {
      const name = `src/f${String(f).padStart(3, '0')}.txt`
      const filler = `${'x = 1 // filler\n'.repeat(2500)}`
      mkdirSync(path.join(dir, 'src'), {recursive: true})
      writeFileSync(path.join(dir, name), planted.has(f) ? `${filler}TOKEN=${TOKEN}\n` : filler)
      names.push(name)
    }
    // A file larger than a slot, with the value at its end, and a file gone since the listing.
    names.push('src/large.txt', 'src/missing.txt')
    writeFileSync(path.join(dir, 'src/large.txt'), `${'y\n'.repeat(SLOT_BYTES)}"${TOKEN}"\n`)
    const data: ScanWorkerData = {
      filter: index.tagFilter()!,
      base: dir + path.sep,
      files: names,
      next: counter(),
      shared: names.length - 2,
      chunk: 32,
      kept: [names.length - 2, names.length],
      ring: newTextRing(),
      wake: counter(),
    }
    // The kept files first (the large one among them), then the shared ones, the ring left full.
    const part = scanWorkerPart(data)
    const found: string[] = []
    const byWorker = new Set<number>()
    const byMain = new Set<number>()
    for (const h of part.hits)
      for (const n of index.match(h.bytes, 0, h.bytes.length) ?? []) {
        found.push(`${names[h.file]}:${h.line} ${n.key}`)
        byWorker.add(h.file)
      }
    const main = new FileScanner(index, data.base, names, (file, line, needles) => {
      for (const n of needles) found.push(`${names[file]}:${line} ${n.key}`)
      byMain.add(file)
    })
    const reader = new TextRingReader(data.ring)
    let handed = 0
    while (
      reader.take((file, bytes, start, end) => {
        handed++
        main.scanText(file, bytes, start, end)
      })
    );
    expect(reader.done).toBe(true)
    expect(handed).toBeGreaterThan(100)
    expect(part.stats.files).toBeGreaterThan(100) // the rest, matched by the worker itself
    expect(handed + part.stats.files).toBe(401)
    expect(main.stats.files + part.stats.files).toBe(401)
    expect([...new Set(found)].sort()).toEqual([
      'src/f000.txt:2501 TOKEN',
      'src/f007.txt:2501 TOKEN',
      'src/f150.txt:2501 TOKEN',
      'src/f399.txt:2501 TOKEN',
      `src/large.txt:${SLOT_BYTES + 1} TOKEN`,
    ])
    // Both ways were taken, and no file went both ways.
    expect(byWorker.size).toBeGreaterThan(0)
    expect(byMain.size).toBeGreaterThan(0)
    expect([...byWorker].filter((f) => byMain.has(f))).toEqual([])
  })
})
