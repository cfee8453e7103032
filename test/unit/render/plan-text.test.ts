/** The text plan: a header naming what was compared, and a "no changes" that does not contradict its warnings. */
import {describe, expect, it} from 'vitest'
import {computePlan} from '../../../src/plan/compute-plan.js'
import {planTextPieces, renderPlanText} from '../../../src/render/plan-text.js'
import {backendRecord, desiredModel, keyRecord, secretManifest, secretRecord} from '../plan/model-builders.js'

const now = new Date('2026-06-01T00:00:00Z')

describe('renderPlanText', () => {
  it('no changes but secrets and a backend the manifests no longer name: says both, without claiming the store matches', () => {
    const plan = computePlan({
      desired: desiredModel([], []),
      meta: {lineage: 'L', serial: 1},
      backends: [backendRecord('default'), backendRecord('old')],
      secrets: [secretRecord('a', 'default', {K: keyRecord('f')}), secretRecord('b', 'default', {K: keyRecord('g')})],
      desiredKeys: new Map(),
      backendMetadata: new Map(),
      options: {prune: false, rotate: false, targets: [], now},
    })
    const text = renderPlanText(plan)
    expect(text).toMatch(
      /^No changes to make; 2 secrets and 1 backend in the state are no longer in the manifests \(kept; --prune deletes them\)\.$/m,
    )
    expect(text).not.toContain('The store matches the manifests')
    expect(text).toContain('Warning: secret a is in the state but not in the manifests')
  })

  it('starts with the state and the manifests directory it compared, password masked', () => {
    const plan = computePlan({
      desired: desiredModel([], []),
      meta: {lineage: 'L', serial: 1},
      backends: [backendRecord('default')],
      secrets: [],
      desiredKeys: new Map(),
      backendMetadata: new Map(),
      options: {prune: false, rotate: false, targets: [], now},
    })
    const text = renderPlanText(plan, undefined, {
      dir: '/srv/infra',
      environment: 'staging',
      state: 'postgres://app:***@db/secretctl',
      stateExists: true,
    })
    expect(text.split('\n').slice(0, 2)).toEqual(['State: postgres://app:***@db/secretctl', 'Manifests: /srv/infra (environment staging)'])
    expect(text).toContain('No changes. The store matches the manifests.')
  })
})

describe('planTextPieces', () => {
  it('a long plan in pieces of whole lines that make up its text', () => {
    const secrets = Array.from({length: 2500}, (_, i) => secretManifest(`s-${String(i).padStart(4, '0')}`, {K: 'env'}))
    const plan = computePlan({
      desired: desiredModel([], secrets),
      meta: {lineage: 'L', serial: 1},
      backends: [backendRecord('default')],
      secrets: [],
      desiredKeys: new Map(secrets.map((s) => [s.name, new Map([['K', {source: 'env', fingerprint: 'f'}]])])),
      backendMetadata: new Map(),
      options: {prune: false, rotate: false, targets: [], now},
    })
    const pieces = [...planTextPieces(plan)]
    expect(pieces.length).toBeGreaterThan(2)
    for (const piece of pieces) expect(piece.endsWith('\n')).toBe(true)
    const lines = pieces.join('').split('\n')
    expect(lines.filter((l) => l.startsWith('  + secret.'))).toHaveLength(2500)
    expect(lines.filter((l) => l.startsWith('  + secret.')).at(-1)).toContain('secret.s-2499')
    expect(lines.at(-2)).toBe('Plan: 2500 to create, 0 to update, 0 to move, 0 to delete.')
    expect(pieces.join('')).toBe(renderPlanText(plan))
  })
})
