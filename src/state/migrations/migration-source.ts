/**
 * The state schema's migrations as code: an explicit, ordered list of modules handed to knex as a
 * `migrationSource`, so migrating works from compiled dist/ and from a bundle, with no directory
 * globbing and no dependence on file extensions. Add a migration: write `NNN-what.ts`, list it here.
 *
 * Only writing commands migrate. Read-only commands (`plan`, `get`, …) never write, so they read a
 * state whose migrations are pending as it is; a migration the reading code cannot do without
 * says so (`neededToRead`), and then reading commands ask for a writing one first.
 */
import type {Knex} from 'knex'
import * as initial from './001-initial.js'
import * as lockHolderProcess from './002-lock-holder-process.js'
import * as eraseFreedPages from './003-erase-freed-pages.js'
import * as opaqueVersions from './004-opaque-versions.js'
import * as pendingCopyDeletes from './005-pending-copy-deletes.js'
import * as kindState from './006-kind-state.js'

export interface NamedMigration {
  name: string
  migration: Knex.Migration & {config?: {transaction?: boolean}}
  /** True when this version cannot read a state without this migration. */
  neededToRead: boolean
}

/** In order of application. Names are recorded in `knex_migrations`: never rename one. */
export const MIGRATIONS: readonly NamedMigration[] = [
  {name: '001-initial', migration: initial, neededToRead: true},
  {name: '002-lock-holder-process', migration: lockHolderProcess, neededToRead: false},
  {name: '003-erase-freed-pages', migration: eraseFreedPages, neededToRead: false},
  {name: '004-opaque-versions', migration: opaqueVersions, neededToRead: false},
  // A reading open of an older state reads every retained copy as not pending (knex-state-store.ts).
  {name: '005-pending-copy-deletes', migration: pendingCopyDeletes, neededToRead: false},
  // Read only for encrypted backends, which exist only in a state a writing command has migrated.
  {name: '006-kind-state', migration: kindState, neededToRead: false},
]

export const migrationSource: Knex.MigrationSource<NamedMigration> = {
  async getMigrations() {
    return [...MIGRATIONS]
  },
  getMigrationName(m) {
    return m.name
  },
  async getMigration(m) {
    return m.migration
  },
}

/** The knex migrator configuration of the state database. */
export const migratorConfig: Knex.MigratorConfig = {
  migrationSource,
  tableName: 'knex_migrations',
}
