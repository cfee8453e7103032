/**
 * The progress display of a long apply and the text it ends with. Time is an injected clock: the
 * tests count the lines a given sequence of outcomes and clock readings makes, never how many
 * lines a real duration produced.
 */
import {Writable} from 'node:stream'
import {describe, expect, it} from 'vitest'
import {formatSeconds, ProgressBar, ProgressLines, progressLine} from '../../../src/render/apply-progress.js'
import {CHANGES_LISTED, renderApplyText, renderMoveSummary} from '../../../src/render/apply-text.js'
import type {ApplyResult, ChangeOutcome} from '../../../src/apply/types.js'

const outcome = (i: number, result: ChangeOutcome['outcome'] = 'applied'): ChangeOutcome => ({
  address: `secret.s${i}`,
  action: 'move',
  outcome: result,
  detail: result === 'applied' ? 'backend default → bao' : 'backend bao: 503 sealed',
})

describe('progress lines (not at a terminal)', () => {
  it('prints a line when the interval passed, with count, percentage, failures, rate and ETA, and ends on the final count', () => {
    let t = 0
    const lines: string[] = []
    const p = new ProgressLines({write: (s) => lines.push(s), intervalMs: 5000, now: () => t, heartbeat: false})
    p.start(100)
    for (let i = 1; i <= 100; i++) {
      t += 250 // 4 changes a second
      p.outcome(outcome(i, i === 7 ? 'failed' : 'applied'))
    }
    p.stop()
    // A line every 5 s of the clock: 25 s of changes make five, and the last is the final count.
    expect(lines).toEqual([
      'apply: 20/100 changes (20%), 1 failed, 4.0/s, ETA 20s\n',
      'apply: 40/100 changes (40%), 1 failed, 4.0/s, ETA 15s\n',
      'apply: 60/100 changes (60%), 1 failed, 4.0/s, ETA 10s\n',
      'apply: 80/100 changes (80%), 1 failed, 4.0/s, ETA 5s\n',
      'apply: 100/100 changes (100%), 1 failed, 4.0/s, done\n',
    ])
  })

  it('a short apply prints nothing; interval 0 prints a line per change', () => {
    let t = 0
    const quiet: string[] = []
    const short = new ProgressLines({write: (s) => quiet.push(s), intervalMs: 5000, now: () => t, heartbeat: false})
    short.start(3)
    for (let i = 1; i <= 3; i++) short.outcome(outcome(i))
    short.stop()
    expect(quiet).toEqual([])

    const every: string[] = []
    const each = new ProgressLines({write: (s) => every.push(s), intervalMs: 0, now: () => t, heartbeat: false})
    each.start(3)
    for (let i = 1; i <= 3; i++) {
      t += 1000
      each.outcome(outcome(i))
    }
    each.stop()
    expect(every).toEqual([
      'apply: 1/3 changes (33%), 1.0/s, ETA 2s\n',
      'apply: 2/3 changes (66%), 1.0/s, ETA 1s\n',
      'apply: 3/3 changes (100%), 1.0/s, done\n',
    ])
  })

  it('formats rates and times', () => {
    expect(progressLine(0, 10, 0, 0)).toBe('apply: 0/10 changes (0%), 0.0/s, ETA unknown')
    expect(progressLine(1500, 3000, 0, 10_000)).toBe('apply: 1500/3000 changes (50%), 150/s, ETA 10s')
    expect([formatSeconds(45), formatSeconds(185), formatSeconds(3720)]).toEqual(['45s', '3m05s', '1h02m'])
  })
})

describe('progress bar (at a terminal)', () => {
  it('draws count and rate on the stream it is given, and clears itself at the end', async () => {
    let out = ''
    const stream = Object.assign(
      new Writable({
        write(chunk, _enc, done) {
          out += String(chunk)
          done()
        },
      }),
      {isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true},
    ) as unknown as NodeJS.WriteStream
    const bar = new ProgressBar(stream)
    await bar.start(3)
    for (let i = 1; i <= 3; i++) bar.outcome(outcome(i, i === 2 ? 'failed' : 'applied'))
    bar.stop()
    expect(out).toContain('apply [')
    expect(out).toContain('3/3 changes (1 failed)')
    expect(out).toMatch(/\| [\d.]+\/s \| ETA /)
  })
})

describe('the text an apply ends with', () => {
  const result = (changes: ChangeOutcome[], moves?: ApplyResult['moves']): ApplyResult => ({
    formatVersion: 1,
    runId: 'r',
    lineage: 'l',
    serial: 3,
    changes,
    summary: {
      applied: changes.filter((c) => c.outcome === 'applied').length,
      failed: changes.filter((c) => c.outcome === 'failed').length,
      skipped: 0,
    },
    ...(moves ? {moves} : {}),
    ok: changes.every((c) => c.outcome === 'applied'),
  })

  it('a short apply lists every change; a long one only those that did not simply apply, then the moves per pair of backends', () => {
    const short = renderApplyText(result([outcome(1), outcome(2)]))
    expect(short).toContain('applied → secret.s1: backend default → bao')
    const many = Array.from({length: CHANGES_LISTED + 10}, (_, i) => outcome(i, i === 3 ? 'failed' : 'applied'))
    const moves = [{from: 'default', to: 'bao', moved: 29, kept: 2, failed: 1, skipped: 0}]
    const long = renderApplyText(result(many, moves))
    expect(long.split('\n').filter((l) => l.includes('secret.s'))).toEqual(['  failed  → secret.s3: backend bao: 503 sealed'])
    expect(long).toContain('  29 more applied (`--json` lists every change; `secretctl history` too)')
    expect(long).toContain('Moves: moved 29 from default to bao, failed 1, kept 2.')
    expect(long).toContain('Apply finished with failures: 29 applied, 1 failed, 0 skipped (state serial 3).')
  })

  it('says skipped moves only when there are some', () => {
    expect(renderMoveSummary({from: 'a', to: 'b', moved: 1, kept: 0, failed: 0, skipped: 2})).toBe(
      'moved 1 from a to b, failed 0, kept 0, skipped 2',
    )
  })
})
