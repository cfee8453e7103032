/**
 * Backend versions become opaque strings (a Kubernetes resourceVersion or a 1Password item version
 * is not a KV v2 number). Postgres changes the column's type; SQLite's columns take any value, so
 * there is nothing to change there (the store reads every version back as a string).
 */
import type {Knex} from 'knex'

export async function up(knex: Knex): Promise<void> {
  if (knex.client.config.client === 'pg') {
    await knex.raw('alter table secrets alter column backend_version type text using backend_version::text')
  }
}

export async function down(knex: Knex): Promise<void> {
  if (knex.client.config.client === 'pg') {
    await knex.raw('alter table secrets alter column backend_version type integer using backend_version::integer')
  }
}
