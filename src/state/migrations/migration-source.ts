/**
 * The state schema's migrations as code: an explicit, ordered list of modules handed to knex as a
 * `migrationSource`, so migrating works from compiled dist/ and from a bundle, with no directory
 * globbing and no dependence on file extensions. Add a migration: write `NNN-what.ts`, list it here.
 */
import type {Knex} from 'knex'
import * as initial from './001-initial.js'
import * as opaqueVersions from './002-opaque-versions.js'
import * as pendingCopyDeletes from './003-pending-copy-deletes.js'
import * as kindState from './004-kind-state.js'

interface NamedMigration {
  name: string
  migration: Knex.Migration
}

/** In order of application. Names are recorded in `knex_migrations`: never rename one. */
const MIGRATIONS: readonly NamedMigration[] = [
  {name: '001-initial', migration: initial},
  {name: '002-opaque-versions', migration: opaqueVersions},
  {name: '003-pending-copy-deletes', migration: pendingCopyDeletes},
  {name: '004-kind-state', migration: kindState},
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
