/**
 * Reading every secret row page by page (pagedSecrets): the next page is asked for while a page is made
 * into records, and a damaged row still fails the read with its own error, whatever the page read
 * meanwhile does.
 */
import {describe, expect, it} from 'vitest'
import {StateError} from '../../../src/errors.js'
import {pagedSecrets, ROWS_PER_PAGE, type SecretRow} from '../../../src/state/state-rows.js'

const row = (i: number, keys = '{"K":{"source":"file","fingerprint":"f"}}'): SecretRow => ({
  id: i,
  name: `s-${String(i).padStart(6, '0')}`,
  backend_id: 1,
  backend: 'default',
  external_ref: null,
  keys,
  backend_version: null,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
})

/** A table of `total` rows served a page at a time, recording which pages were asked for. */
function table(total: number, damaged?: number) {
  const rows = Array.from({length: total}, (_, i) => row(i, i === damaged ? '{not json' : undefined))
  const asked: Array<string | undefined> = []
  const page = async (after: string | undefined) => {
    asked.push(after)
    const from = after === undefined ? 0 : rows.findIndex((r) => r.name > after)
    return from < 0 ? [] : rows.slice(from, from + ROWS_PER_PAGE)
  }
  return {rows, asked, page}
}

describe('pagedSecrets', () => {
  it('reads every row in order, across pages and at an exact multiple of the page size', async () => {
    for (const total of [0, 1, ROWS_PER_PAGE, ROWS_PER_PAGE * 2 + 1]) {
      const {rows, asked, page} = table(total)
      const records = await pagedSecrets(page)
      expect(records.map((r) => r.name)).toEqual(rows.map((r) => r.name))
      expect(asked).toHaveLength(Math.floor(total / ROWS_PER_PAGE) + 1)
    }
  })

  it('a damaged row fails the read with its error; the page asked for meanwhile, failing too, is not reported', async () => {
    const {page} = table(ROWS_PER_PAGE * 2, 5)
    let second: Promise<SecretRow[]> | undefined
    const failing = (after: string | undefined) => {
      if (after === undefined) return page(after)
      second = Promise.reject(new Error('connection lost'))
      return second
    }
    await expect(pagedSecrets(failing)).rejects.toBeInstanceOf(StateError)
    expect(second).toBeDefined()
  })
})
