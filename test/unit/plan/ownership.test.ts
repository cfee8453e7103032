/**
 * compute-plan's ownership rules for kinds that mark it (a kubernetes backend here, by its
 * declared type; generic code never names it): an object secretctl did not create at the place
 * of a create, a move or an update is refused (apply fails the change) unless the secret says
 * `adopt: true`; prune never deletes one; a move never deletes such a source; a fingerprint that
 * is not the state's is said in the drift reason.
 */
import {describe, it, expect} from 'vitest'
import {computePlan, type PlanInput} from '../../../src/plan/compute-plan.js'
import {keysDigest} from '../../../src/state/keys-digest.js'
import type {SecretMetadata} from '../../../src/backends/driver.js'
import {backendManifest, secretManifest, desiredModel, backendRecord, secretRecord, keyRecord, desiredKeys} from './model-builders.js'

const now = new Date('2026-06-01T00:00:00Z')
const kube = backendManifest('k8s', {type: 'kubernetes', config: {namespace: 'apps', nameTemplate: '{{name}}', type: 'Opaque'}})
const kubeRecord = backendRecord('k8s', {type: 'kubernetes', config: kube.config})
const foreign: SecretMetadata = {exists: true, version: '77', owned: false, fingerprint: null, ref: 'apps/db'}

function plan(partial: Partial<PlanInput> & Pick<PlanInput, 'desired'>) {
  return computePlan({
    meta: {lineage: 'L', serial: 1},
    backends: [backendRecord('default'), kubeRecord],
    secrets: [],
    desiredKeys: new Map(),
    backendMetadata: new Map(),
    options: {prune: false, rotate: false, targets: [], now},
    ...partial,
  })
}

describe('ownership in the plan', () => {
  it('a create onto a Secret secretctl did not create is refused, with a warning; adopt: true takes it over', () => {
    const refused = plan({
      desired: desiredModel([kube], [secretManifest('db', {K: 'env'}, {backend: 'k8s'})]),
      desiredKeys: desiredKeys({db: {K: 'f'}}),
      destinationMetadata: new Map([['db', foreign]]),
    })
    expect(refused.changes).toHaveLength(1)
    expect(refused.changes[0]).toMatchObject({
      action: 'create',
      refused: expect.stringContaining('refused: k8s holds apps/db, an object secretctl did not create'),
    })
    expect(refused.changes[0]!.reason).toMatch(/^refused: .*set adopt: true on the secret to take it over.*; new secret on k8s \(1 key\)$/)
    expect(refused.warnings).toEqual([expect.stringContaining('secret.db: refused:')])

    const adopted = plan({
      desired: desiredModel([kube], [secretManifest('db', {K: 'env'}, {backend: 'k8s', adopt: true})]),
      desiredKeys: desiredKeys({db: {K: 'f'}}),
      destinationMetadata: new Map([['db', foreign]]),
    })
    expect(adopted.changes[0]).toMatchObject({action: 'create', adopt: true})
    expect(adopted.changes[0]).not.toHaveProperty('refused')
    expect(adopted.changes[0]!.reason).toBe(
      'new secret on k8s (1 key); adopts what k8s holds apps/db, an object secretctl did not create (adopt: true)',
    )
    expect(adopted.warnings).toEqual([])
  })

  it('an object secretctl wrote, or nothing, at the destination is no refusal', () => {
    for (const meta of [
      {exists: true, version: '5', owned: true, fingerprint: 'x'},
      {exists: false, version: null},
    ] as SecretMetadata[]) {
      const p = plan({
        desired: desiredModel([kube], [secretManifest('db', {K: 'env'}, {backend: 'k8s'})]),
        desiredKeys: desiredKeys({db: {K: 'f'}}),
        destinationMetadata: new Map([['db', meta]]),
      })
      expect(p.changes[0]).toMatchObject({action: 'create', reason: 'new secret on k8s (1 key)'})
      expect(p.changes[0]).not.toHaveProperty('refused')
    }
  })

  it('a move onto a foreign object is refused; a move off one keeps the source', () => {
    const onto = plan({
      desired: desiredModel([kube], [secretManifest('db', {K: 'env'}, {backend: 'k8s'})]),
      secrets: [secretRecord('db', 'default', {K: keyRecord('f')})],
      desiredKeys: desiredKeys({db: {K: 'f'}}),
      destinationMetadata: new Map([['db', foreign]]),
    })
    expect(onto.changes[0]).toMatchObject({action: 'move', refused: expect.stringMatching(/^refused: /)})
    expect(onto.changes[0]!.reason).toMatch(/^refused: .*; backend default → k8s$/)

    const off = plan({
      desired: desiredModel([kube], [secretManifest('db', {K: 'env'})]),
      secrets: [secretRecord('db', 'k8s', {K: keyRecord('f')}, {backendVersion: '5'})],
      desiredKeys: desiredKeys({db: {K: 'f'}}),
      backendMetadata: new Map([['db', foreign]]),
    })
    expect(off.changes[0]).toMatchObject({action: 'move', keepSource: true})
    expect(off.changes[0]!.reason).toContain('backend k8s → default (keeping the copy on k8s: secretctl did not create it)')
  })

  it('prune never deletes a foreign object: the change is refused; an owned one is deleted', () => {
    const p = plan({
      desired: desiredModel([kube], []),
      secrets: [
        secretRecord('gone', 'k8s', {K: keyRecord('f')}, {backendVersion: '5'}),
        secretRecord('mine', 'k8s', {K: keyRecord('f')}, {backendVersion: '6'}),
      ],
      backendMetadata: new Map<string, SecretMetadata>([
        ['gone', {...foreign, ref: 'apps/gone'}],
        ['mine', {exists: true, version: '6', owned: true, fingerprint: 'x'}],
      ]),
      options: {prune: true, rotate: false, targets: [], now},
    })
    expect(p.changes.map((c) => [c.address, c.action, 'refused' in c])).toEqual([
      ['secret.gone', 'delete', true],
      ['secret.mine', 'delete', false],
    ])
    expect(p.changes[0]!.reason).toContain(
      'refused: k8s holds apps/gone, an object secretctl did not create (or no longer marks as its own); it is never deleted',
    )
  })

  it('an update whose object was taken from secretctl (label removed by hand) is refused unless adopted', () => {
    const p = plan({
      desired: desiredModel([kube], [secretManifest('db', {K: 'env'}, {backend: 'k8s'})]),
      secrets: [secretRecord('db', 'k8s', {K: keyRecord('f')}, {backendVersion: '5'})],
      desiredKeys: desiredKeys({db: {K: 'f'}}),
      backendMetadata: new Map([['db', foreign]]),
    })
    expect(p.changes[0]).toMatchObject({action: 'update', drift: true, refused: expect.stringMatching(/^refused: /)})
  })

  it('drift says when the fingerprint on the object is not the state’s', () => {
    const keys = {K: keyRecord('f')}
    const mine = keysDigest({K: 'f'})
    const reason = (fingerprint: string | null) =>
      plan({
        desired: desiredModel([kube], [secretManifest('db', {K: 'env'}, {backend: 'k8s'})]),
        secrets: [secretRecord('db', 'k8s', keys, {backendVersion: '5'})],
        desiredKeys: desiredKeys({db: {K: 'f'}}),
        backendMetadata: new Map([['db', {exists: true, version: '9', owned: true, fingerprint}]]),
        liveFingerprints: new Map([['db', {K: 'f'}]]),
      }).changes[0]!.reason
    expect(reason(mine)).toBe('drift: k8s holds version 9, state recorded 5; its values are as secretctl wrote them: written again')
    expect(reason('sha256:other')).toContain(
      "(its fingerprint of the data is not the state's: another secretctl state wrote it, or it was edited)",
    )
    expect(reason(null)).toContain('(it no longer carries the fingerprint secretctl wrote)')
  })
})
