/**
 * An apply knows before it writes any backend that the state will let it record every change:
 * the privileges of each role `rbac print` grants, checked on a real Postgres (the test run's
 * server), the refusal in the user's terms, and an apply refused before any change is made. A
 * trust-root token the role may not read (the planner's) names the variable that replaces it.
 */
import {randomBytes} from 'node:crypto'
import {afterAll, describe, expect, it} from 'vitest'
import pg from 'pg'
import {openState} from '../../../src/state/open-state.js'
import type {StateStore, StateWrite} from '../../../src/state/types.js'
import {postgresGrants} from '../../../src/rbac/postgres-grants.js'
import {assertStateRecords, stateWritesOf} from '../../../src/apply/state-writes.js'
import {applyPlan} from '../../../src/apply/apply-plan.js'
import {computePlan, tokenRotation} from '../../../src/plan/compute-plan.js'
import {describeError} from '../../../src/apply/describe-error.js'
import {missingSqlitePrivileges} from '../../../src/state/state-privileges.js'
import {DriverPool} from '../../../src/backends/driver-pool.js'
import {StateError} from '../../../src/errors.js'
import type {AccessRole} from '../../../src/backends/kind.js'
import type {Plan} from '../../../src/plan/types.js'
import {sqliteFactory, tempDir} from '../../support/state-factories.js'
import {desiredModel, secretManifest} from '../plan/model-builders.js'
import {withDb} from '../../support/postgres-url.js'

const ADMIN = process.env.SECRETCTL_TEST_PG
if (!ADMIN) throw new Error('SECRETCTL_TEST_PG is not set: the vitest globalSetup (test/support/global-postgres.ts) starts a server')

const ALL_WRITES: StateWrite[] = [
  'backend-upsert',
  'backend-default',
  'backend-delete',
  'token',
  'secret-put',
  'secret-keys',
  'secret-delete',
  'copy-put',
  'copy-delete',
  'serial',
  'audit',
]

async function admin(url: string, sql: string): Promise<void> {
  const c = new pg.Client({connectionString: url})
  await c.connect()
  try {
    await c.query(sql)
  } finally {
    await c.end()
  }
}

const opened: StateStore[] = []
const databases: string[] = []
afterAll(async () => {
  for (const s of opened) await s.close().catch(() => {})
  for (const db of databases) await admin(ADMIN, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)
})

/** A state created by the owner, and one store per role opened as a login role holding exactly that role's GRANTs. */
async function statesByRole(): Promise<Record<AccessRole, StateStore>> {
  const db = `secretctl_writes_${randomBytes(5).toString('hex')}`
  await admin(ADMIN!, `CREATE DATABASE ${db}`)
  databases.push(db)
  const dir = tempDir()
  opened.push(await openState({url: withDb(ADMIN!, db), dir}))
  const out = {} as Record<AccessRole, StateStore>
  for (const role of ['planner', 'applier', 'rotator'] as const) {
    const user = {name: `secretctl_${role}_${randomBytes(4).toString('hex')}`, password: randomBytes(12).toString('hex')}
    await admin(ADMIN!, `CREATE ROLE ${user.name} LOGIN PASSWORD '${user.password}'`)
    await admin(withDb(ADMIN!, db), postgresGrants(role, {dbRole: user.name}))
    const store = await openState({url: withDb(ADMIN!, db, user), dir, access: role === 'planner' ? 'read' : 'write'})
    opened.push(store)
    out[role] = store
  }
  return out
}

function planOf(changes: Plan['changes']): Plan {
  return {
    formatVersion: 1,
    lineage: 'l',
    serial: 0,
    manifestsDigest: 'd',
    sourceFingerprints: {},
    options: {prune: false, rotate: true, targets: []},
    changes,
    summary: {create: 0, update: 0, move: 0, delete: 0, rotate: 0, 'set-default': 0},
    warnings: [],
  }
}

const secretUpdate = (name: string): Plan['changes'][number] => ({
  address: `secret.${name}`,
  kind: 'secret',
  name,
  action: 'update',
  phase: 50,
  reason: 'S due for regeneration',
  before: {backend: 'bao', keys: ['S']},
  after: {backend: 'bao', keys: ['S']},
  keys: {S: 'regenerated'},
})

describe('the privileges of the rbac roles (Postgres)', () => {
  it('applier may make every write; rotator only the token, key-record, serial and audit writes; planner none', async () => {
    const roles = await statesByRole()
    expect([...(await roles.applier.missingPrivileges(ALL_WRITES)).keys()]).toEqual([])
    const rotator = await roles.rotator.missingPrivileges(ALL_WRITES)
    expect(ALL_WRITES.filter((w) => !rotator.has(w))).toEqual(['token', 'secret-keys', 'serial', 'audit'])
    expect(rotator.get('secret-put')).toContain('INSERT on secrets')
    expect(rotator.get('secret-put')).toContain('UPDATE (backend_id, external_ref, backend_version) on secrets')
    expect(rotator.get('secret-delete')).toEqual(['DELETE on secrets'])
    const planner = await roles.planner.missingPrivileges(ALL_WRITES)
    expect(ALL_WRITES.filter((w) => !planner.has(w))).toEqual([])
    expect(planner.get('serial')).toEqual(['UPDATE on state_meta'])
  })

  it('refuses, in the user’s terms, a plan the role cannot record; a rotator may rotate a token', async () => {
    const roles = await statesByRole()
    const plan = planOf([tokenRotation('bao', 'token 26h old, period 24h'), secretUpdate('app'), secretUpdate('web')])
    const err = await assertStateRecords(plan, roles.rotator).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StateError)
    expect((err as StateError).message).toMatch(/would not let this role record every change of the plan, so none was applied/)
    expect((err as StateError).message).toContain('INSERT on secrets (needed by secret.app, secret.web)')
    expect((err as StateError).message).not.toMatch(/insert into|"secrets"/)
    expect((err as StateError).hint).toContain('secretctl rbac print --role applier')
    expect((err as StateError).hint).toContain('secretctl reconcile --rotate --target backend.bao.token')

    await expect(assertStateRecords(planOf([tokenRotation('bao', 'due')]), roles.rotator)).resolves.toBeUndefined()
    await expect(assertStateRecords(plan, roles.applier)).resolves.toBeUndefined()
    const planner = await assertStateRecords(plan, roles.planner).catch((e: unknown) => e)
    expect((planner as StateError).message).toContain('(needed by every apply)')
    expect((planner as StateError).hint).not.toContain('--target')
  })
})

describe('apply refuses before any change', () => {
  const factory = sqliteFactory()
  afterAll(() => factory.cleanup())

  it('a state that cannot record the plan: nothing is written, not even an audit row', async () => {
    const state = await factory.create()
    const narrow = Object.create(state) as StateStore
    narrow.missingPrivileges = async (writes) => new Map(writes.filter((w) => w === 'secret-put').map((w) => [w, ['INSERT on secrets']]))
    const desired = desiredModel([], [secretManifest('a', {K: 'env'})])
    const values = new Map([['a', new Map([['K', {source: 'env' as const, value: 'v'}]])]])
    const plan = computePlan({
      desired,
      meta: await state.meta(),
      backends: await state.listBackends(),
      secrets: [],
      desiredKeys: new Map([['a', new Map([['K', {source: 'env', fingerprint: await state.fingerprint('K', 'v')}]])]]),
      backendMetadata: new Map(),
      options: {prune: false, rotate: false, targets: [], now: new Date()},
    })
    const outcomes: string[] = []
    const ctx = {state: narrow, desired, values, drivers: new DriverPool(narrow, 2), actor: 'unit', concurrency: 2}
    await expect(applyPlan(plan, {...ctx, onOutcome: (o) => outcomes.push(o.address)})).rejects.toThrow(
      /INSERT on secrets \(needed by secret\.a\)/,
    )
    expect(outcomes).toEqual([])
    expect(await state.listSecrets()).toEqual([])
    expect(await state.listAudit()).toEqual([])
    expect((await state.meta()).serial).toBe(0)
  })

  it('SQLite: a file or directory this user may not write is missing for every write', () => {
    const missing = missingSqlitePrivileges('/nonexistent-secretctl-dir/state.db', ['secret-put', 'audit'])
    expect(missing.get('secret-put')).toEqual([
      'write access to /nonexistent-secretctl-dir/state.db',
      'write access to /nonexistent-secretctl-dir',
    ])
    expect(missing.has('audit')).toBe(true)
  })

  it('maps each change to the store writes apply makes for it', () => {
    expect(stateWritesOf(secretUpdate('a'))).toEqual(['secret-put'])
    expect(stateWritesOf(tokenRotation('bao', 'due'))).toEqual(['token'])
  })
})

describe('database errors in the user’s terms', () => {
  it('a permission refused mid-apply is said without the statement', () => {
    const raw = Object.assign(new Error('insert into "secrets" ("name") values ($1) - permission denied for table secrets'), {
      code: '42501',
    })
    const line = describeError(raw)
    expect(line).toMatch(/^the state database refused this command: permission denied for table secrets/)
    expect(line).not.toContain('insert into')
  })
})

describe('a trust-root token the role may not read (item 20)', () => {
  const factory = sqliteFactory()
  afterAll(() => factory.cleanup())

  it('names SECRETCTL_BACKEND_TOKEN_<NAME> and the planner policy, not the applier role alone', async () => {
    const state = await factory.create()
    await state.upsertBackend({
      name: 'bao-main',
      type: 'openbao',
      description: null,
      config: {url: 'http://127.0.0.1:9', mount: 'secret', pathPrefix: 'p', tokenSecretRef: {name: 'bao-creds', key: 'token'}},
      rotation: null,
    })
    await state.putSecret({name: 'bao-creds', backend: 'default', externalRef: null, rowData: {token: 't'}, keys: {}, backendVersion: null})
    // What Postgres answers a planner reading secrets.data.
    const planner = Object.create(state) as StateStore
    planner.readRowData = () => Promise.reject(Object.assign(new Error('permission denied for table secrets'), {code: '42501'}))
    const driver = await new DriverPool(planner, 2).get('bao-main')
    const err = await driver.metadata('x').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StateError)
    expect((err as StateError).message).toContain('backend bao-main: this database role may not read its token from the state')
    expect((err as StateError).hint).toContain('SECRETCTL_BACKEND_TOKEN_BAO_MAIN')
    expect((err as StateError).hint).toContain('secretctl rbac print --role planner --backend bao-main')
  })
})
