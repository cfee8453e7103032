/**
 * Plans for secrets on read-only backends (onepassword, environment): a placement-only secret not
 * yet in the state is recorded (nothing written); drift and changed refs record it again; a copy
 * gone from a read-only backend is a warning, never a write; a move onto one is refused, a move
 * off it keeps the source, and a prune only forgets the record.
 */
import {describe, expect, it} from 'vitest'
import {computePlan, type PlanInput} from '../../../src/plan/compute-plan.js'
import {PlanError} from '../../../src/errors.js'
import {backendManifest, backendRecord, desiredKeys, desiredModel, keyRecord, secretManifest, secretRecord} from './model-builders.js'

const now = new Date('2026-06-01T00:00:00Z')
const op = backendManifest('op', {type: 'onepassword', config: {url: 'http://x', tokenSecretRef: {name: 'c', key: 'k'}, vault: 'Eng'}})
const ci = backendManifest('ci', {type: 'environment', config: {prefix: 'SECRETCTL_SECRET_'}})
const liveBackends = [
  backendRecord('default'),
  backendRecord('op', {type: 'onepassword', config: op.config}),
  backendRecord('ci', {type: 'environment', config: ci.config}),
]

function plan(partial: Partial<PlanInput> & Pick<PlanInput, 'desired'>) {
  return computePlan({
    meta: {lineage: 'L', serial: 1},
    backends: liveBackends,
    secrets: [],
    desiredKeys: new Map(),
    backendMetadata: new Map(),
    options: {prune: false, rotate: false, targets: [], now},
    ...partial,
  })
}

describe('plans on read-only backends', () => {
  it('records a placement-only secret that the state does not have yet: a create that writes nothing', () => {
    const p = plan({
      desired: desiredModel(
        [op, ci],
        [
          secretManifest('github', null, {backend: 'op', refs: {TOKEN: 'op://Eng/GitHub/token', USER: null}}),
          secretManifest('whole', null, {backend: 'op'}),
          secretManifest('ci-token', null, {backend: 'ci', refs: {API_KEY: null}}),
        ],
      ),
    })
    expect(p.changes.map((c) => [c.action, c.address, 'recordOnly' in c && c.recordOnly])).toEqual([
      ['create', 'secret.ci-token', true],
      ['create', 'secret.github', true],
      ['create', 'secret.whole', true],
    ])
    expect(p.changes[1]).toMatchObject({after: {backend: 'op', keys: ['TOKEN', 'USER']}, reason: expect.stringMatching(/read-only/)})
  })

  it('a secret with data sources is never created on a read-only backend', () => {
    expect(() =>
      plan({desired: desiredModel([op], [secretManifest('a', {K: 'env'}, {backend: 'op'})]), desiredKeys: desiredKeys({a: {K: 'f'}})}),
    ).toThrow(PlanError)
  })

  it('no change while the item version and the refs are as recorded', () => {
    const p = plan({
      desired: desiredModel([op], [secretManifest('github', null, {backend: 'op', refs: {TOKEN: 'op://Eng/GitHub/token'}})]),
      secrets: [secretRecord('github', 'op', {TOKEN: keyRecord('f', {ref: 'op://Eng/GitHub/token'})}, {backendVersion: 'i:3'})],
      backendMetadata: new Map([['github', {exists: true, version: 'i:3'}]]),
    })
    expect(p.changes).toEqual([])
  })

  it('drift on a read-only backend records the secret again, with the keys it holds now', () => {
    const p = plan({
      desired: desiredModel([op], [secretManifest('whole', null, {backend: 'op'})]),
      secrets: [secretRecord('whole', 'op', {A: keyRecord('f')}, {backendVersion: 'i:3'})],
      backendMetadata: new Map([['whole', {exists: true, version: 'i:4'}]]),
      liveFingerprints: new Map([['whole', {A: 'f', B: 'g'}]]),
    })
    expect(p.changes).toHaveLength(1)
    expect(p.changes[0]).toMatchObject({
      action: 'update',
      recordOnly: true,
      drift: true,
      after: {backend: 'op', keys: ['A', 'B']},
      reason: expect.stringMatching(/^drift: op holds version i:4, state recorded i:3; records what op holds now/),
    })
  })

  it('changed refs record it again', () => {
    const p = plan({
      desired: desiredModel([ci], [secretManifest('app', null, {backend: 'ci', refs: {A: 'MY_A', B: null}})]),
      secrets: [secretRecord('app', 'ci', {A: keyRecord('f')})],
    })
    expect(p.changes[0]).toMatchObject({action: 'update', recordOnly: true, reason: expect.stringMatching(/refs of A, B changed/)})
  })

  it('a copy gone from a read-only backend is a warning, never a write', () => {
    const p = plan({
      desired: desiredModel([op], [secretManifest('whole', null, {backend: 'op'})]),
      secrets: [secretRecord('whole', 'op', {A: keyRecord('f')}, {backendVersion: 'i:3'})],
      backendMetadata: new Map([['whole', {exists: false, version: null}]]),
    })
    expect(p.changes).toEqual([])
    expect(p.warnings.join('\n')).toMatch(/op is read-only, so secretctl cannot restore it/)
  })

  it('refuses a move onto a read-only backend; a move off it keeps the source', () => {
    expect(() =>
      plan({
        desired: desiredModel([op], [secretManifest('a', null, {backend: 'op'})]),
        secrets: [secretRecord('a', 'default', {K: keyRecord('f')})],
      }),
    ).toThrow(/would move onto op, which is read-only/)
    const p = plan({
      desired: desiredModel([op], [secretManifest('a', null)]),
      secrets: [secretRecord('a', 'op', {K: keyRecord('f', {ref: 'op://Eng/a/K'})}, {backendVersion: 'i:1'})],
      backendMetadata: new Map([['a', {exists: true, version: 'i:1'}]]),
    })
    expect(p.changes[0]).toMatchObject({action: 'move', from: 'op', to: 'default', keepSource: true})
    expect(p.changes[0]!.reason).toMatch(/keeping the copy on op: read-only/)
  })

  it('prune only forgets a secret on a read-only backend, and the copies kept on one', () => {
    const p = plan({
      desired: desiredModel([], []),
      backends: liveBackends,
      secrets: [secretRecord('a', 'op', {K: keyRecord('f')})],
      retainedCopies: [{secretName: 'a', backend: 'ci', externalRef: null, pending: false, createdAt: 't'}],
      options: {prune: true, rotate: false, targets: [], now},
    })
    const del = p.changes.find((c) => c.address === 'secret.a')
    expect(del).toMatchObject({action: 'delete', forgetOnly: true})
    expect(p.changes.find((c) => c.address === 'backend.ci')?.reason).toMatch(/first forgets the copy of a/)
  })
})
