import {describe, it, expect} from 'vitest'
import {computePlan, type PlanInput} from '../../../src/plan/compute-plan.js'
import {PlanError} from '../../../src/errors.js'
import {backendManifest, secretManifest, desiredModel, backendRecord, secretRecord, keyRecord, desiredKeys} from './model-builders.js'

const meta = {lineage: 'L', serial: 3}
const now = new Date('2026-06-01T00:00:00Z')

function plan(partial: Partial<PlanInput> & Pick<PlanInput, 'desired'>) {
  return computePlan({
    meta,
    backends: [backendRecord('default')],
    secrets: [],
    desiredKeys: new Map(),
    backendMetadata: new Map(),
    options: {prune: false, rotate: false, targets: [], now},
    ...partial,
  })
}

describe('computePlan', () => {
  it('creates backends and secrets, in DESIGN order, with lineage, serial and summary', () => {
    const p = plan({
      desired: desiredModel(
        [backendManifest('other')],
        [secretManifest('b', {K: 'env'}, {backend: 'other'}), secretManifest('a', {K: 'env'})],
      ),
      desiredKeys: desiredKeys({a: {K: 'f1'}, b: {K: 'f2'}}),
    })
    expect(p.changes.map((c) => `${c.action} ${c.address}`)).toEqual(['create backend.other', 'create secret.a', 'create secret.b'])
    expect(p.summary).toMatchObject({create: 3, update: 0})
    expect(p).toMatchObject({lineage: 'L', serial: 3, manifestsDigest: 'd'})
    expect(p.sourceFingerprints).toEqual({'secret.a/K': 'f1', 'secret.b/K': 'f2'})
  })

  it('no changes when fingerprints and placement match', () => {
    const p = plan({
      desired: desiredModel([], [secretManifest('a', {K: 'env', G: 'generate'})]),
      secrets: [secretRecord('a', 'default', {K: keyRecord('f1'), G: keyRecord('g', {source: 'generate'})})],
      desiredKeys: desiredKeys({a: {K: 'f1', G: null}}),
    })
    expect(p.changes).toEqual([])
  })

  it('an update names changed, added and removed keys but never a value', () => {
    const p = plan({
      desired: desiredModel([], [secretManifest('a', {K: 'env', NEW: 'env'})]),
      secrets: [secretRecord('a', 'default', {K: keyRecord('old'), GONE: keyRecord('x')})],
      desiredKeys: desiredKeys({a: {K: 'new', NEW: 'n'}}),
    })
    expect(p.changes).toHaveLength(1)
    expect(p.changes[0]).toMatchObject({
      action: 'update',
      reason: 'value of K changed; key NEW added; key GONE removed',
      keys: {K: 'changed', NEW: 'added', GONE: 'removed'},
    })
  })

  it('a changed backend is a move, trust-root secrets go first, and keepSource is carried', () => {
    const bao = backendManifest('bao', {
      type: 'openbao',
      config: {url: 'http://127.0.0.1:1', tokenSecretRef: {name: 'bao-creds', key: 'token'}},
    })
    const p = plan({
      desired: desiredModel(
        [bao],
        [secretManifest('app', {K: 'env'}, {backend: 'bao', keepSource: true}), secretManifest('bao-creds', {token: 'env'})],
      ),
      secrets: [secretRecord('app', 'default', {K: keyRecord('f')})],
      desiredKeys: desiredKeys({app: {K: 'f'}, 'bao-creds': {token: 't'}}),
    })
    expect(p.changes.map((c) => `${c.action} ${c.address}`)).toEqual(['create backend.bao', 'create secret.bao-creds', 'move secret.app'])
    expect(p.changes[2]).toMatchObject({
      from: 'default',
      to: 'bao',
      keepSource: true,
      reason: 'backend default → bao (keeping the copy on default)',
    })
  })

  it('switching the default backend is a set-default change, and secrets without backend follow it', () => {
    const p = plan({
      desired: desiredModel([backendManifest('other', {isDefault: true})], [secretManifest('a', {K: 'env'})]),
      backends: [backendRecord('default'), backendRecord('other')],
      secrets: [secretRecord('a', 'default', {K: keyRecord('f')})],
      desiredKeys: desiredKeys({a: {K: 'f'}}),
    })
    expect(p.changes.map((c) => `${c.action} ${c.address}`)).toEqual(['set-default backend.other', 'move secret.a'])
  })

  it('drift: a backend version different from the recorded one is flagged with the versions', () => {
    const p = plan({
      desired: desiredModel([], [secretManifest('a', {K: 'env'})]),
      secrets: [secretRecord('a', 'default', {K: keyRecord('f')}, {backendVersion: 3})],
      desiredKeys: desiredKeys({a: {K: 'f'}}),
      backendMetadata: new Map([['a', {exists: true, version: 4}]]),
    })
    expect(p.changes[0]).toMatchObject({action: 'update', drift: true, reason: 'drift: default holds version 4, state recorded 3'})
  })

  it('generated keys are regenerated only under rotate when older than rotateEvery', () => {
    const desired = desiredModel([], [secretManifest('a', {G: 'generate'})])
    const keys = new Map([['a', new Map([['G', {source: 'generate' as const, fingerprint: null, rotateEvery: '30d'}]])]])
    const secrets = [secretRecord('a', 'default', {G: keyRecord('g', {source: 'generate', writtenAt: '2026-04-01T00:00:00Z'})})]
    expect(plan({desired, secrets, desiredKeys: keys}).changes).toEqual([])
    const rotated = plan({desired, secrets, desiredKeys: keys, options: {prune: false, rotate: true, targets: [], now}})
    expect(rotated.changes[0]).toMatchObject({action: 'update', keys: {G: 'regenerated'}})
    const fresh = [secretRecord('a', 'default', {G: keyRecord('g', {source: 'generate', writtenAt: '2026-05-20T00:00:00Z'})})]
    expect(plan({desired, secrets: fresh, desiredKeys: keys, options: {prune: false, rotate: true, targets: [], now}}).changes).toEqual([])
  })

  it('orphans are warnings without --prune and deletes with it (secrets before backends)', () => {
    const input = {
      desired: desiredModel([], []),
      backends: [backendRecord('default'), backendRecord('old')],
      secrets: [secretRecord('x', 'old', {K: keyRecord('f')})],
    }
    const warned = plan(input)
    expect(warned.changes).toEqual([])
    expect(warned.warnings).toHaveLength(2)
    const pruned = plan({...input, options: {prune: true, rotate: false, targets: [], now}})
    expect(pruned.changes.map((c) => `${c.action} ${c.address}`)).toEqual(['delete secret.x', 'delete backend.old'])
  })

  it('refuses to delete a backend a remaining secret still points at', () => {
    expect(() =>
      plan({
        desired: desiredModel([], []),
        backends: [backendRecord('default'), backendRecord('old')],
        secrets: [secretRecord('x', 'old', {K: keyRecord('f')})],
        options: {prune: true, rotate: false, targets: ['backend.old'], now},
      }),
    ).toThrow(/cannot delete backend old: 1 secret still on it \(x\)/)
  })

  it('--target keeps the targeted change and the backend it lands on', () => {
    const p = plan({
      desired: desiredModel(
        [backendManifest('other')],
        [secretManifest('a', {K: 'env'}, {backend: 'other'}), secretManifest('b', {K: 'env'})],
      ),
      desiredKeys: desiredKeys({a: {K: 'f'}, b: {K: 'g'}}),
      options: {prune: false, rotate: false, targets: ['secret.a'], now},
    })
    expect(p.changes.map((c) => c.address)).toEqual(['backend.other', 'secret.a'])
  })

  it('a placement-only secret missing from the state is an error naming file:line', () => {
    expect(() => plan({desired: desiredModel([], [secretManifest('ghost', null)])})).toThrow(PlanError)
    expect(() => plan({desired: desiredModel([], [secretManifest('ghost', null)])})).toThrow(/m\.yaml:1:1: secret ghost is placement-only/)
  })

  it('a backend changing type is refused', () => {
    expect(() =>
      plan({
        desired: desiredModel([backendManifest('x', {type: 'openbao', config: {url: 'u', tokenSecretRef: {name: 'a', key: 'b'}}})], []),
        backends: [backendRecord('default'), backendRecord('x')],
      }),
    ).toThrow(/cannot change type/)
  })

  it('is deterministic: the same inputs give byte-identical JSON', () => {
    const mk = () =>
      plan({
        desired: desiredModel(
          [backendManifest('z'), backendManifest('a')],
          [secretManifest('m', {K: 'env'}), secretManifest('b', {K: 'env'})],
        ),
        desiredKeys: desiredKeys({m: {K: '1'}, b: {K: '2'}}),
      })
    expect(JSON.stringify(mk())).toBe(JSON.stringify(mk()))
  })
})
