import {describe, expect, it} from 'vitest'
import {computePlan, type DesiredKey, type PlanInput} from '../../../src/plan/compute-plan.js'
import {checkSavedPlan} from '../../../src/plan/check-saved-plan.js'
import {PlanError} from '../../../src/errors.js'
import {backendRecord, desiredModel, keyRecord, secretManifest, secretRecord} from './model-builders.js'

const meta = {lineage: 'L', serial: 3}
const now = new Date('2026-06-01T00:00:00Z')
const UNKNOWN = {
  file: 'secrets/app.enc.yaml',
  reason: 'secrets/app.enc.yaml:7: no age identity found',
  declared: {at: 'app.yaml:4:21', field: 'data.K.fromSops'},
}

function plan(keys: Record<string, DesiredKey>, live?: Record<string, ReturnType<typeof keyRecord>>, partial: Partial<PlanInput> = {}) {
  return computePlan({
    meta,
    desired: desiredModel([], [secretManifest('app', Object.fromEntries(Object.keys(keys).map((k) => [k, 'sops'])))]),
    backends: [backendRecord('default')],
    secrets: live ? [secretRecord('app', 'default', live)] : [],
    desiredKeys: new Map([['app', new Map(Object.entries(keys))]]),
    backendMetadata: new Map(),
    options: {prune: false, rotate: false, targets: [], now},
    ...partial,
  })
}

const known = (fingerprint: string, cipherDigest?: string): DesiredKey => ({
  source: 'sops',
  fingerprint,
  ...(cipherDigest ? {cipherDigest} : {}),
})
const unknown = (cipherDigest: string): DesiredKey => ({source: 'sops', fingerprint: null, cipherDigest, unknown: UNKNOWN})

describe('values that could not be decrypted (--allow-undecryptable)', () => {
  it('an unchanged ciphertext is an unchanged value: no change, and a warning that says the file was not decrypted', () => {
    const p = plan({K: unknown('c1')}, {K: keyRecord('f1', {source: 'sops', cipherDigest: 'c1'})})
    expect(p.changes).toEqual([])
    expect(p.undecryptable).toEqual([
      {file: 'secrets/app.enc.yaml', reason: UNKNOWN.reason, keys: {'secret.app/K': 'app.yaml:4:21 data.K.fromSops'}},
    ])
    expect(p.warnings).toEqual([
      'could not decrypt secrets/app.enc.yaml, so secret.app/K is planned from the ciphertext (a changed ciphertext is a possible change): secrets/app.enc.yaml:7: no age identity found',
    ])
    expect(p.sourceFingerprints).toEqual({})
  })

  it('a changed ciphertext, or none recorded, is a possible change: key "unknown", said as such', () => {
    for (const recorded of [keyRecord('f1', {cipherDigest: 'c1'}), keyRecord('f1')]) {
      const p = plan({K: unknown('c2'), L: known('f2')}, {K: recorded, L: keyRecord('f2')})
      expect(p.changes).toHaveLength(1)
      expect(p.changes[0]).toMatchObject({action: 'update', keys: {K: 'unknown', L: 'unchanged'}})
      expect(p.changes[0]?.reason).toBe(
        'value of K possibly changed: its ciphertext is not the one last applied, and cannot be decrypted here',
      )
    }
  })

  it('a new secret with an unknown value is still a create; its key is added', () => {
    const p = plan({K: unknown('c1')})
    expect(p.changes[0]).toMatchObject({action: 'create', keys: {K: 'added'}})
  })

  it('a known value re-encrypted (same fingerprint, new ciphertext) is a record-only update: the state learns the new digest', () => {
    const p = plan({K: known('f1', 'c2')}, {K: keyRecord('f1', {cipherDigest: 'c1'})})
    expect(p.changes).toEqual([
      expect.objectContaining({
        action: 'update',
        digestsOnly: true,
        keys: {K: 'unchanged'},
        reason: 'K re-encrypted with its value unchanged: the state records the new ciphertext digest (nothing is written to default)',
      }),
    ])
    expect(plan({K: known('f1', 'c1')}, {K: keyRecord('f1', {cipherDigest: 'c1'})}).changes).toEqual([])
    // A changed value is a plain update, whose write records the digest anyway.
    const changed = plan({K: known('f2', 'c2')}, {K: keyRecord('f1', {cipherDigest: 'c1'})})
    expect(changed.changes[0]).toMatchObject({action: 'update', keys: {K: 'changed'}})
    expect(changed.changes[0]).not.toHaveProperty('digestsOnly')
  })

  it('a saved plan holding unknown values is never applied', () => {
    const p = plan({K: unknown('c2')}, {K: keyRecord('f1', {cipherDigest: 'c1'})})
    const world = {meta, stateLocation: 'sqlite:x', manifestsDigest: p.manifestsDigest, sourceFingerprints: {}}
    expect(() => checkSavedPlan(p, world)).toThrow(PlanError)
    expect(() => checkSavedPlan(p, world)).toThrow(/made without the keys to decrypt secrets\/app\.enc\.yaml/)
  })
})
