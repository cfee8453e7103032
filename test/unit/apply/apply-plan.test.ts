/**
 * applyPlan on a real SQLite state with plaintext backends: DESIGN's order of application, per
 * secret outcomes, skipped dependents of a failed backend, moves that flip the row and retain the
 * source copy with keepSource, and the audit trail.
 */
import {describe, it, expect, afterAll} from 'vitest'
import {applyPlan} from '../../../src/apply/apply-plan.js'
import {computePlan} from '../../../src/plan/compute-plan.js'
import {DriverPool} from '../../../src/backends/driver-pool.js'
import type {ResolvedValues} from '../../../src/sources/resolve-values.js'
import type {StateStore} from '../../../src/state/types.js'
import {sqliteFactory} from '../../support/state-factories.js'
import {backendManifest, secretManifest, desiredModel} from '../plan/model-builders.js'
import type {DesiredModel} from '../../../src/manifests/types.js'
import {startOpenBaoTestServer} from '../../support/openbao/index.js'

const factory = sqliteFactory()
afterAll(() => factory.cleanup())

function values(entries: Record<string, Record<string, string>>): ResolvedValues {
  return new Map(
    Object.entries(entries).map(([n, kv]) => [n, new Map(Object.entries(kv).map(([k, v]) => [k, {source: 'env' as const, value: v}]))]),
  )
}

async function planAndApply(state: StateStore, desired: DesiredModel, vals: ResolvedValues, opts: {prune?: boolean} = {}) {
  const fingerprints = new Map<string, Map<string, {source: 'env'; fingerprint: string}>>()
  for (const [name, kv] of vals) {
    const m = new Map<string, {source: 'env'; fingerprint: string}>()
    for (const [k, v] of kv) m.set(k, {source: 'env', fingerprint: await state.fingerprint(k, v.value!)})
    fingerprints.set(name, m)
  }
  const plan = computePlan({
    desired,
    meta: await state.meta(),
    backends: await state.listBackends(),
    secrets: await state.listSecrets(),
    desiredKeys: fingerprints,
    backendMetadata: new Map(),
    options: {prune: opts.prune ?? false, rotate: false, targets: [], now: new Date()},
  })
  const order: string[] = []
  const result = await applyPlan(plan, {
    state,
    desired,
    values: vals,
    drivers: new DriverPool(state, 4),
    actor: 'unit',
    concurrency: 4,
    onOutcome: (o) => order.push(`${o.outcome} ${o.address}`),
  })
  return {plan, result, order}
}

/** An OpenBao backend on the test server at `url`, its token in the plaintext secret bao-creds. */
function baoBackend(url: string) {
  return backendManifest('bao', {
    type: 'openbao',
    config: {url, tokenSecretRef: {name: 'bao-creds', key: 'token'}, mount: 'secret', pathPrefix: 'app'},
  })
}

describe('applyPlan', () => {
  it('applies backends, then the default switch, then secrets, and bumps the serial once', async () => {
    const state = await factory.create()
    const desired = desiredModel(
      [backendManifest('other', {isDefault: true})],
      [secretManifest('a', {K: 'env'}), secretManifest('b', {K: 'env'}, {backend: 'default'})],
    )
    const {result, order} = await planAndApply(state, desired, values({a: {K: 'va'}, b: {K: 'vb'}}))
    expect(order.slice(0, 2)).toEqual(['applied backend.other', 'applied backend.other'])
    expect(result.changes.map((c) => `${c.action} ${c.address}`)).toEqual([
      'create backend.other',
      'set-default backend.other',
      'create secret.a',
      'create secret.b',
    ])
    expect(result.ok).toBe(true)
    expect(result.serial).toBe(1)
    expect((await state.getSecret('a'))!.backend).toBe('other')
    expect(await state.readRowData('a')).toEqual({K: 'va'})
    expect((await state.listAudit()).map((r) => `${r.action} ${r.address} ${r.outcome}`).sort()).toEqual(
      ['create backend.other applied', 'set-default backend.other applied', 'create secret.a applied', 'create secret.b applied'].sort(),
    )
  })

  it('a move flips the row in place; keepSource leaves a retained copy with the values', async () => {
    const state = await factory.create()
    const base = [backendManifest('other')]
    await planAndApply(
      state,
      desiredModel(base, [secretManifest('m', {K: 'env'}), secretManifest('k', {K: 'env'})]),
      values({m: {K: 'vm'}, k: {K: 'vk'}}),
    )
    const {result} = await planAndApply(
      state,
      desiredModel(base, [
        secretManifest('m', {K: 'env'}, {backend: 'other'}),
        secretManifest('k', {K: 'env'}, {backend: 'other', keepSource: true}),
      ]),
      values({m: {K: 'vm'}, k: {K: 'vk'}}),
    )
    expect(result.changes.map((c) => `${c.outcome} ${c.action} ${c.address}`)).toEqual(['applied move secret.k', 'applied move secret.m'])
    expect((await state.getSecret('m'))!.backend).toBe('other')
    expect(await state.readRowData('m')).toEqual({K: 'vm'})
    expect((await state.listRetainedCopies()).map((r) => `${r.secretName}@${r.backend}`)).toEqual(['k@default'])
  })

  it('counts the moves per pair of backends: moved, kept (keepSource), failed, skipped', async () => {
    const state = await factory.create()
    const base = [backendManifest('other'), backendManifest('third')]
    const names = ['a', 'b', 'c', 'd']
    const vals = values(Object.fromEntries(names.map((n) => [n, {K: `v${n}`}])))
    await planAndApply(
      state,
      desiredModel(
        base,
        names.map((n) => secretManifest(n, {K: 'env'})),
      ),
      vals,
    )
    const {result} = await planAndApply(
      state,
      desiredModel(base, [
        secretManifest('a', {K: 'env'}, {backend: 'other'}),
        secretManifest('b', {K: 'env'}, {backend: 'other', keepSource: true}),
        secretManifest('c', {K: 'env'}, {backend: 'other'}),
        secretManifest('d', {K: 'env'}, {backend: 'third'}),
      ]),
      vals,
    )
    expect(result.moves).toEqual([
      {from: 'default', to: 'other', moved: 3, kept: 1, failed: 0, skipped: 0},
      {from: 'default', to: 'third', moved: 1, kept: 0, failed: 0, skipped: 0},
    ])
    const created = await planAndApply(
      state,
      desiredModel(
        base,
        [...names, 'e'].map((n) => secretManifest(n, {K: 'env'})),
      ),
      values({e: {K: 've'}}),
    )
    expect(created.result.moves).toEqual([
      {from: 'other', to: 'default', moved: 3, kept: 0, failed: 0, skipped: 0},
      {from: 'third', to: 'default', moved: 1, kept: 0, failed: 0, skipped: 0},
    ])
  })

  it('a backend that fails to be created skips the secrets that land on it; the rest go on', async () => {
    const state = await factory.create()
    const desired = desiredModel(
      [backendManifest('broken')],
      [secretManifest('on-broken', {K: 'env'}, {backend: 'broken'}), secretManifest('fine', {K: 'env'})],
    )
    const failing = Object.create(state) as StateStore
    failing.upsertBackend = async () => {
      throw new Error('disk full')
    }
    const fingerprints = new Map([
      ['on-broken', new Map([['K', {source: 'env' as const, fingerprint: await state.fingerprint('K', 'x')}]])],
      ['fine', new Map([['K', {source: 'env' as const, fingerprint: await state.fingerprint('K', 'y')}]])],
    ])
    const plan = computePlan({
      desired,
      meta: await state.meta(),
      backends: await state.listBackends(),
      secrets: [],
      desiredKeys: fingerprints,
      backendMetadata: new Map(),
      options: {prune: false, rotate: false, targets: [], now: new Date()},
    })
    const result = await applyPlan(plan, {
      state: failing,
      desired,
      values: values({'on-broken': {K: 'x'}, fine: {K: 'y'}}),
      drivers: new DriverPool(failing, 4),
      actor: 'unit',
      concurrency: 4,
    })
    expect(result.changes.map((c) => `${c.outcome} ${c.address}`)).toEqual([
      'failed backend.broken',
      'applied secret.fine',
      'skipped secret.on-broken',
    ])
    expect(result.changes[2]!.detail).toBe('backend broken is unavailable: disk full')
    expect(result.ok).toBe(false)
  })

  it('deletes secrets before backends under --prune', async () => {
    const state = await factory.create()
    await planAndApply(
      state,
      desiredModel([backendManifest('old')], [secretManifest('x', {K: 'env'}, {backend: 'old'})]),
      values({x: {K: 'v'}}),
    )
    const {result, order} = await planAndApply(state, desiredModel([], []), values({}), {prune: true})
    expect(order).toEqual(['applied secret.x', 'applied backend.old'])
    expect(result.ok).toBe(true)
    expect(await state.getBackend('old')).toBeUndefined()
  })

  it('a move to OpenBao writes with check-and-set 0 and no metadata read; a copy left by an interrupted run is replaced at its version', async () => {
    const server = await startOpenBaoTestServer()
    try {
      const state = await factory.create()
      const bao = baoBackend(server.url)
      const creds = secretManifest('bao-creds', {token: 'env'})
      const vals = values({'bao-creds': {token: server.rootToken}, a: {K: 'value-a'}, b: {K: 'value-b'}})
      await planAndApply(state, desiredModel([bao], [creds, secretManifest('a', {K: 'env'}), secretManifest('b', {K: 'env'})]), vals)
      server.writeKv('secret', 'app/b', {K: 'half-moved'}) // an earlier run wrote b here, then died before flipping the row
      server.clearLog()

      const {result} = await planAndApply(
        state,
        desiredModel([bao], [creds, secretManifest('a', {K: 'env'}, {backend: 'bao'}), secretManifest('b', {K: 'env'}, {backend: 'bao'})]),
        vals,
      )
      expect(result.changes.map((c) => `${c.outcome} ${c.action} ${c.address}`)).toEqual(['applied move secret.a', 'applied move secret.b'])
      const kv = server.log.filter((e) => e.logicalPath.startsWith('secret/'))
      expect(kv.filter((e) => e.logicalPath === 'secret/data/app/a').map((e) => `${e.method} ${e.status}`)).toEqual(['POST 200'])
      expect(kv.filter((e) => e.logicalPath.endsWith('/app/b')).map((e) => `${e.method} ${e.logicalPath} ${e.status}`)).toEqual([
        'POST secret/data/app/b 400',
        'GET secret/metadata/app/b 200',
        'POST secret/data/app/b 200',
      ])
      expect(server.readKv('secret', 'app/b')).toMatchObject({version: 2, data: {K: 'value-b'}})
      expect((await state.getSecret('b'))!.backendVersion).toBe('2')
    } finally {
      await server.close()
    }
  })

  it('a state commit that is slow does not stop the moves: every secret reaches the backend while the first commit waits', async () => {
    const server = await startOpenBaoTestServer()
    try {
      const state = await factory.create()
      const bao = baoBackend(server.url)
      const names = Array.from({length: 300}, (_, i) => `s${String(i).padStart(3, '0')}`)
      // Each apply takes its values out of the map as it goes: a fresh one per apply.
      const vals = () => values({'bao-creds': {token: server.rootToken}, ...Object.fromEntries(names.map((n) => [n, {K: `value-${n}`}]))})
      const declared = (backend?: string) =>
        desiredModel(
          [bao],
          [secretManifest('bao-creds', {token: 'env'}), ...names.map((n) => secretManifest(n, {K: 'env'}, backend ? {backend} : {}))],
        )
      await planAndApply(state, declared(), vals())
      server.clearLog()

      // The first group of placements holds the state's one connection inside its transaction, as a
      // commit waiting on a slow fsync does, until every secret has been written to OpenBao.
      const store = state as unknown as {writePlacements: (trx: unknown, items: unknown[]) => Promise<void>}
      const writePlacements = store.writePlacements
      let release!: () => void
      const held = new Promise<void>((resolve) => (release = resolve))
      let heldItems = 0
      store.writePlacements = async (trx, items) => {
        if (heldItems === 0) {
          heldItems = items.length
          await held
        }
        return writePlacements(trx, items)
      }
      const written = () => server.log.filter((e) => e.method === 'POST' && e.logicalPath.startsWith('secret/data/app/s')).length
      const applying = planAndApply(state, declared('bao'), vals())
      let writtenWhileHeld = 0
      try {
        // Bounded, as a hang detector only (two minutes, for a machine whose CPUs are busy): without
        // the fix the writes stop at the secrets in flight (64 here) and this gives up.
        for (let i = 0; i < 12_000 && (heldItems === 0 || written() < names.length); i++) await new Promise((r) => setTimeout(r, 10))
        writtenWhileHeld = written()
      } finally {
        release()
      }
      const {result} = await applying
      expect(heldItems).toBeGreaterThan(0)
      expect(heldItems).toBeLessThan(names.length)
      expect(writtenWhileHeld).toBe(names.length)
      expect(result.ok).toBe(true)
      expect(result.moves).toEqual([{from: 'default', to: 'bao', moved: 300, kept: 0, failed: 0, skipped: 0}])
      for (const n of names) expect((await state.getSecret(n))!.backend).toBe('bao')
      expect(await state.readRowData('s000')).toBeNull()
      expect(server.readKv('secret', 'app/s299')).toMatchObject({data: {K: 'value-s299'}})
    } finally {
      await server.close()
    }
  })
})
