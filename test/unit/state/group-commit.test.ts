import knexFactory, {type Knex} from 'knex'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {GroupCommit} from '../../../src/state/group-commit.js'
import {chunks} from '../../../src/state/state-rows.js'

describe('GroupCommit', () => {
  let db: Knex
  let release = () => {}
  beforeEach(async () => {
    db = knexFactory({client: 'sqlite3', connection: {filename: ':memory:'}, useNullAsDefault: true, pool: {min: 1, max: 1}})
    await db.schema.createTable('written', (t) => t.integer('n'))
  })
  afterEach(async () => {
    // A held commit is let go however the test ended, or closing the database would wait for it.
    release()
    await db.destroy()
  })

  it('writes that queue behind a slow commit go in together, up to 2,000 to a transaction, each settling once committed', async () => {
    const slowDisk = new Promise<void>((resolve) => (release = resolve))
    let firstHeld!: () => void
    const firstInTransaction = new Promise<void>((resolve) => (firstHeld = resolve))
    const groups: number[] = []
    const writer = async (trx: Knex.Transaction, items: number[]) => {
      groups.push(items.length)
      // The first commit stands for one held up by a busy disk.
      if (items[0] === 0) {
        firstHeld()
        await slowDisk
      }
      for (const chunk of chunks(items, 400)) await trx('written').insert(chunk.map((n) => ({n})))
    }
    const commits = new GroupCommit(db)
    const settled: number[] = []
    const first = commits.write(writer, 0).then(() => settled.push(0))
    await firstInTransaction
    expect(groups).toEqual([1])

    const queued = Array.from({length: 2500}, (_, i) => commits.write(writer, i + 1).then(() => settled.push(i + 1)))
    expect(settled).toEqual([])
    release()
    await Promise.all([first, ...queued])

    expect(groups).toEqual([1, 2000, 500])
    expect(settled).toHaveLength(2501)
    expect(await db('written').count({rows: '*'})).toEqual([{rows: 2501}])
  })
})
