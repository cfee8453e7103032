/** The bound on the heap's growth while a large project is planned: set once, and taken back only when set here. */
import v8 from 'node:v8'
import {afterEach, describe, expect, it, vi} from 'vitest'
import {boundHeapGrowth} from '../../../src/workspace/collect-garbage.js'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('boundHeapGrowth', () => {
  it('bounds the growth once, gives V8 back its rule once, and leaves the flag alone when it did not set it', () => {
    const set = vi.spyOn(v8, 'setFlagsFromString')
    boundHeapGrowth(false)
    expect(set).not.toHaveBeenCalled()
    boundHeapGrowth(true)
    boundHeapGrowth(true)
    expect(set.mock.calls).toEqual([['--heap-growing-percent=30']])
    boundHeapGrowth(false)
    boundHeapGrowth(false)
    expect(set.mock.calls).toEqual([['--heap-growing-percent=30'], ['--heap-growing-percent=0']])
  })
})
