/**
 * The lock row records which process holds it, not only its pid: the kernel boot id and the
 * process's start time, so that a pid reused by another process is not taken for the holder
 * (see lock-holder-process.ts). Null in rows written before this migration, and where unknown.
 */
import type {Knex} from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('locks', (t) => {
    t.string('boot_id', 64).nullable()
    t.string('started', 32).nullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('locks', (t) => {
    t.dropColumn('started')
    t.dropColumn('boot_id')
  })
}
