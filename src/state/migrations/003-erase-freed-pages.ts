/**
 * Erases what an older secretctl left in the free space of a SQLite state. Until this version,
 * SQLite's secure_delete was off, so a value that was updated, deleted or moved off the plaintext
 * backend stayed readable in the file's free pages and cells (`grep -a` found it). Every
 * connection now runs with secure_delete on (open-state.ts), which zeroes what it frees from now
 * on; this VACUUM rebuilds the file once, so nothing freed before survives in it. Its rollback
 * journal is deleted when it commits, and its temporary copy stays in memory (temp_store).
 *
 * On Postgres there is nothing to do here: freed row versions are VACUUM's business, run by an
 * operator (docs/security.md says what and why).
 */
import type {Knex} from 'knex'

/** VACUUM cannot run inside a transaction. */
export const config = {transaction: false}

export async function up(knex: Knex): Promise<void> {
  if (knex.client.config.client !== 'sqlite3') return
  await knex.raw('VACUUM')
}

export async function down(): Promise<void> {}
