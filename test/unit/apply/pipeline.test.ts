/**
 * The secrets phase's pipeline (src/apply/pipeline.ts): a change frees its slot once its backend
 * part is done, at most `awaitingCommit` more wait for their commits, and the first failure is
 * reported once every change has settled.
 */
import {describe, it, expect} from 'vitest'
import {runPipelined} from '../../../src/apply/pipeline.js'

/** Lets every change that can go on without I/O do so (the runs here only await promises). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
}

function gate(): {wait: Promise<void>; open(): void} {
  let open!: () => void
  const wait = new Promise<void>((resolve) => (open = resolve))
  return {wait, open}
}

describe('runPipelined', () => {
  it('keeps the backend parts going while commits wait, up to the bound, then goes on as they commit', async () => {
    const commits = gate()
    let inBackend = 0
    let mostInBackend = 0
    let backendDone = 0
    const finished: number[] = []
    const running = runPipelined(
      Array.from({length: 20}, (_, i) => i),
      async (item, _index, done) => {
        inBackend++
        mostInBackend = Math.max(mostInBackend, inBackend)
        await Promise.resolve() // the backend request
        inBackend--
        backendDone++
        done()
        await commits.wait // the group commit
        finished.push(item)
      },
      {slots: 2, awaitingCommit: 3},
    )
    await settle()
    expect(backendDone).toBe(5) // two slots' worth and three waiting, no more
    expect(finished).toEqual([])
    commits.open()
    await running
    expect(backendDone).toBe(20)
    expect(finished.sort((a, b) => a - b)).toEqual(Array.from({length: 20}, (_, i) => i))
    expect(mostInBackend).toBeLessThanOrEqual(2)
  })

  it('a change that never says its backend part is done holds its slot until it settles', async () => {
    const first = gate()
    const started: number[] = []
    const running = runPipelined(
      [0, 1, 2],
      async (item) => {
        started.push(item)
        if (item === 0) await first.wait
      },
      {slots: 1, awaitingCommit: 10},
    )
    await settle()
    expect(started).toEqual([0])
    first.open()
    await running
    expect(started).toEqual([0, 1, 2])
  })

  it('runs every change even when one fails, then rejects with the first failure', async () => {
    const ran: number[] = []
    const running = runPipelined(
      [0, 1, 2, 3],
      async (item, _index, done) => {
        done()
        ran.push(item)
        if (item === 1) throw new Error('commit of 1 failed')
      },
      {slots: 2, awaitingCommit: 1},
    )
    await expect(running).rejects.toThrow('commit of 1 failed')
    expect(ran.sort()).toEqual([0, 1, 2, 3])
  })
})
