/**
 * The first schema of the state database. JSON lives in TEXT columns and timestamps are ISO-8601
 * text, so the same schema and the same queries work on SQLite and Postgres.
 */
import type {Knex} from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('state_meta', (t) => {
    // One row only: the fixed id 1 makes a second seed fail instead of forking the lineage.
    t.integer('id').primary()
    t.string('lineage', 36).notNullable()
    t.integer('serial').notNullable().defaultTo(0)
    t.string('salt', 64).notNullable()
    t.string('created_at', 32).notNullable()
  })

  await knex.schema.createTable('backends', (t) => {
    t.increments('id').primary()
    t.string('name', 255).notNullable().unique()
    t.string('type', 64).notNullable()
    t.text('description').nullable()
    t.boolean('is_default').notNullable().defaultTo(false)
    t.text('config').notNullable()
    t.text('rotation').nullable()
    t.text('token_meta').nullable()
    t.string('created_at', 32).notNullable()
    t.string('updated_at', 32).notNullable()
  })

  await knex.schema.createTable('secrets', (t) => {
    t.increments('id').primary()
    t.string('name', 255).notNullable().unique()
    t.integer('backend_id').unsigned().notNullable().references('id').inTable('backends').onDelete('RESTRICT')
    t.text('external_ref').nullable()
    // Plaintext values, only for rows on a backend that stores values in the state.
    t.text('data').nullable()
    // key → {fingerprint, source, writtenAt}; never a value.
    t.text('keys').notNullable()
    t.integer('backend_version').nullable()
    t.string('created_at', 32).notNullable()
    t.string('updated_at', 32).notNullable()
    t.index(['backend_id'])
  })

  await knex.schema.createTable('retained_copies', (t) => {
    t.increments('id').primary()
    t.string('secret_name', 255).notNullable()
    t.integer('backend_id').unsigned().notNullable().references('id').inTable('backends').onDelete('RESTRICT')
    t.text('external_ref').nullable()
    t.text('data').nullable()
    t.string('created_at', 32).notNullable()
    t.unique(['secret_name', 'backend_id'])
  })

  await knex.schema.createTable('locks', (t) => {
    t.string('lock_id', 255).primary()
    t.string('actor', 255).notNullable()
    t.string('host', 255).notNullable()
    t.integer('pid').notNullable()
    t.string('command', 255).notNullable()
    t.string('since', 32).notNullable()
  })

  await knex.schema.createTable('audit', (t) => {
    t.increments('id').primary()
    t.string('at', 32).notNullable()
    t.string('run_id', 64).notNullable()
    t.string('actor', 255).notNullable()
    t.string('address', 512).notNullable()
    t.string('action', 32).notNullable()
    t.string('outcome', 32).notNullable()
    t.text('detail').nullable()
    t.index(['run_id'])
  })
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['audit', 'locks', 'retained_copies', 'secrets', 'backends', 'state_meta']) {
    await knex.schema.dropTableIfExists(table)
  }
}
