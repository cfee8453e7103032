/**
 * State stores for tests, one factory per database. Suites iterate `stateFactories()` so the same
 * tests run against every dialect: SQLite in a temp dir today; a Postgres factory (a fresh database
 * or schema per call, e.g. when SECRETCTL_TEST_PG is set) can be appended here later.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {openState} from '../../src/state/open-state.js'
import type {StateStore} from '../../src/state/types.js'

export interface StateFactory {
  /** Label used in test names: `sqlite`, `postgres`. */
  name: string
  dialect: 'sqlite' | 'postgres'
  /** A fresh, empty state (migrated and seeded). Closed and removed by `cleanup()`. */
  create(): Promise<StateStore>
  /** The URL of a fresh, not yet created state, with the dir it is relative to. */
  freshUrl(): Promise<{url: string; dir: string}>
  cleanup(): Promise<void>
}

export function tempDir(prefix = 'secretctl-state-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

export function sqliteFactory(): StateFactory {
  const dirs: string[] = []
  const stores: StateStore[] = []
  const freshUrl = async () => {
    const dir = tempDir()
    dirs.push(dir)
    return {url: `sqlite:${path.join(dir, '.secretctl', 'state.db')}`, dir}
  }
  return {
    name: 'sqlite',
    dialect: 'sqlite',
    freshUrl,
    async create() {
      const {url, dir} = await freshUrl()
      const store = await openState({url, dir})
      stores.push(store)
      return store
    },
    async cleanup() {
      for (const s of stores.splice(0)) await s.close().catch(() => {})
      for (const d of dirs.splice(0)) fs.rmSync(d, {recursive: true, force: true})
    },
  }
}

/** Every dialect the state suites run against. */
export function stateFactories(): StateFactory[] {
  return [sqliteFactory()]
}
