/**
 * A backend kind may keep state of its own in the state database, beside the backend's row and
 * apart from its manifest config (which apply overwrites): the encrypted kind keeps its store
 * header there (Argon2id parameters, salt, key check), so a team sharing the state shares the key
 * derivation with it. JSON in a TEXT column, null until the kind writes it.
 */
import type {Knex} from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('backends', (t) => {
    t.text('kind_state').nullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('backends', (t) => {
    t.dropColumn('kind_state')
  })
}
