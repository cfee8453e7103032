/**
 * The Postgres side of secretctl's least-privilege roles, as GRANT statements on the state schema.
 * mcpctl gated backends behind RBAC verbs; secretctl has no server, so the database enforces them:
 * - planner: reads everything it needs to plan, but not the columns holding plaintext values
 *   (`secrets.data`, `retained_copies.data`), through column privileges; it may read
 *   `backends.kind_state` (an encrypted backend's header: salt, Argon2id parameters, key check,
 *   nothing secret) and needs no encryption password, since a plan reads no value;
 * - applier: reads and writes the whole state;
 * - rotator: what token rotation needs: read backends and the trust-root rows, update a token
 *   secret's row and the backend's token metadata, record audit rows, take the lock.
 */
import type {AccessRole} from '../backends/kind.js'

/** Columns of `secrets` and `retained_copies` other than `data`: what the planner may read. */
const SECRET_COLUMNS = ['id', 'name', 'backend_id', 'external_ref', 'keys', 'backend_version', 'created_at', 'updated_at']
const RETAINED_COLUMNS = ['id', 'secret_name', 'backend_id', 'external_ref', 'pending', 'created_at']
const ALL_TABLES = ['backends', 'secrets', 'retained_copies', 'state_meta', 'locks', 'audit', 'knex_migrations', 'knex_migrations_lock']

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_$]*$/i.test(name)) throw new Error(`not a plain SQL identifier: ${name}`)
  return `"${name}"`
}

export function postgresGrants(role: AccessRole, opts: {dbRole: string; schema?: string}): string {
  const r = quoteIdent(opts.dbRole)
  const schema = quoteIdent(opts.schema ?? 'public')
  const t = (table: string) => `${schema}.${quoteIdent(table)}`
  const lines = [
    `-- secretctl ${role}: GRANTs on the state schema ${opts.schema ?? 'public'} for role ${opts.dbRole}`,
    `GRANT USAGE ON SCHEMA ${schema} TO ${r};`,
  ]
  if (role === 'planner') {
    for (const table of ['backends', 'state_meta', 'audit', 'locks', 'knex_migrations', 'knex_migrations_lock'])
      lines.push(`GRANT SELECT ON ${t(table)} TO ${r};`)
    lines.push(`-- Column privileges: everything but the plaintext values.`)
    lines.push(`GRANT SELECT (${SECRET_COLUMNS.join(', ')}) ON ${t('secrets')} TO ${r};`)
    lines.push(`GRANT SELECT (${RETAINED_COLUMNS.join(', ')}) ON ${t('retained_copies')} TO ${r};`)
  } else if (role === 'applier') {
    for (const table of ALL_TABLES) lines.push(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${t(table)} TO ${r};`)
    lines.push(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${schema} TO ${r};`)
  } else {
    for (const table of ['backends', 'secrets', 'state_meta', 'knex_migrations', 'knex_migrations_lock', 'retained_copies'])
      lines.push(`GRANT SELECT ON ${t(table)} TO ${r};`)
    lines.push(`GRANT UPDATE (token_meta, updated_at) ON ${t('backends')} TO ${r};`)
    lines.push(`GRANT UPDATE (data, keys, updated_at) ON ${t('secrets')} TO ${r};`)
    lines.push(`GRANT UPDATE (serial) ON ${t('state_meta')} TO ${r};`)
    lines.push(`GRANT SELECT, INSERT, DELETE ON ${t('locks')} TO ${r};`)
    lines.push(`GRANT SELECT, INSERT ON ${t('audit')} TO ${r};`)
    lines.push(`GRANT USAGE, SELECT ON SEQUENCE ${schema}.${quoteIdent('audit_id_seq')} TO ${r};`)
  }
  return lines.join('\n') + '\n'
}
