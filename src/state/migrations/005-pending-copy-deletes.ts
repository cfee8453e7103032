/**
 * A retained copy can be `pending`: a move records, in the same transaction that flips the row,
 * that the copy on its source backend is still to be deleted. A move killed between the flip and
 * that delete then leaves a record, and the next plan deletes the copy instead of forgetting it.
 */
import type {Knex} from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('retained_copies', (t) => {
    t.boolean('pending').notNullable().defaultTo(false)
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('retained_copies', (t) => {
    t.dropColumn('pending')
  })
}
