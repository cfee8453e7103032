import {describe, expect, it} from 'vitest'
import {PhaseRows} from '../../../src/apply/phase-rows.js'
import type {SecretRecord} from '../../../src/state/types.js'

const row = (name: string) => ({name, backend: 'default', keys: {}}) as unknown as SecretRecord

/** A state whose rows are `existing`, recording the names of each read. */
function stateOf(existing: string[]) {
  const reads: string[][] = []
  return {
    reads,
    async getSecrets(names: readonly string[]) {
      reads.push([...names])
      return names.filter((n) => existing.includes(n)).map(row)
    },
  }
}

describe('PhaseRows', () => {
  it('gives each change its row (none for a secret without one), reading one window ahead, two from its middle on', async () => {
    const names = Array.from({length: 6500}, (_, i) => `s-${i}`)
    const state = stateOf(names.filter((_, i) => i % 3 !== 0))
    const rows = new PhaseRows(state, names)
    await rows.start()
    expect(state.reads.map((r) => r.length)).toEqual([2000])
    expect(await rows.take(0)).toBeUndefined()
    expect((await rows.take(1))?.name).toBe('s-1')
    // The first take of a window reads the next one; a take in its second half the one after.
    expect(state.reads.map((r) => [r[0], r.length])).toEqual([
      ['s-0', 2000],
      ['s-2000', 2000],
    ])
    for (let i = 2; i < 1000; i++) expect((await rows.take(i))?.name).toBe(i % 3 === 0 ? undefined : names[i])
    expect(state.reads).toHaveLength(2)
    expect((await rows.take(1000))?.name).toBe('s-1000')
    expect(state.reads.map((r) => r[0])).toEqual(['s-0', 's-2000', 's-4000'])
    for (let i = 1001; i < names.length; i++) expect((await rows.take(i))?.name).toBe(i % 3 === 0 ? undefined : names[i])
    expect(state.reads.map((r) => [r[0], r.length])).toEqual([
      ['s-0', 2000],
      ['s-2000', 2000],
      ['s-4000', 2000],
      ['s-6000', 500],
    ])
    for (let i = 0; i < names.length; i++) rows.done(i)
  })

  it('reads a window once, however many changes wait for it, and not again once its changes are done', async () => {
    const names = Array.from({length: 2500}, (_, i) => `s-${i}`)
    const state = stateOf(names)
    const rows = new PhaseRows(state, names)
    const taken = await Promise.all(names.slice(0, 2000).map((_, i) => rows.take(i)))
    expect(taken.map((r) => r?.name)).toEqual(names.slice(0, 2000))
    for (let i = 0; i < 2000; i++) rows.done(i)
    expect((await rows.take(2000))?.name).toBe('s-2000')
    expect(state.reads.map((r) => r.length)).toEqual([2000, 500])
  })

  it('fails the changes of a window whose read failed', async () => {
    const rows = new PhaseRows({getSecrets: () => Promise.reject(new Error('state gone'))}, ['a', 'b'])
    await expect(rows.take(0)).rejects.toThrow('state gone')
    await expect(rows.take(1)).rejects.toThrow('state gone')
  })
})
