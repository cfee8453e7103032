/**
 * What a workspace lets go of once it is open (docs/performance.md, sixth round): a loaded secret's
 * field positions (its own position stays), and a plan made with its values packed outside the heap
 * as soon as planning has read them is the plan made with them as resolved (a re-plan reads them packed).
 */
import {rmSync} from 'node:fs'
import v8 from 'node:v8'
import {afterEach, describe, expect, it, vi} from 'vitest'
import {withWorkspace} from '../../../src/workspace/workspace.js'
import {makePlan} from '../../../src/plan/make-plan.js'
import {packedValues, PackedValues} from '../../../src/apply/packed-values.js'
import {writeTree} from '../manifests/temp-tree.js'

const dirs: string[] = []
afterEach(() => {
  vi.restoreAllMocks()
  for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
})

function project(padding = ''): string {
  const dir = writeTree({
    'secrets.yaml': `${padding}${[
      'kind: Secret\nname: app\ndata:\n  A: {fromFile: values/the-value-of-app}\n  B: {fromEnv: APP_B}\n',
      'kind: Secret\nname: gen\ndata:\n  G: {generate: {length: 16}}\n',
    ].join('---\n')}`,
    'values/the-value-of-app': 'app-value',
  })
  dirs.push(dir)
  return dir
}

describe('openWorkspace', () => {
  it('lets go of the secrets’ field positions once their values are resolved, and keeps each secret’s own position', async () => {
    await withWorkspace({dir: project(), env: {APP_B: 'b'}, stateAccess: 'read-or-empty'}, async (ws) => {
      const app = ws.desired.secrets.find((s) => s.name === 'app')
      expect(app?.fields.get('data.A.fromFile')).toBeUndefined()
      expect(app?.at).toMatchObject({file: 'secrets.yaml', line: 1})
      expect(app?.data.A).toMatchObject({declaredPath: 'values/the-value-of-app'})
      expect(ws.values.get('app')?.get('A')).toMatchObject({value: 'app-value'})
    })
  })
})

describe('the heap’s growth while large manifests are planned', () => {
  it('is bounded from the reading of a mebibyte of manifests on, not for fewer', async () => {
    const set = vi.spyOn(v8, 'setFlagsFromString')
    await withWorkspace({dir: project(), env: {APP_B: 'b'}, stateAccess: 'read-or-empty'}, async () => {})
    expect(set).not.toHaveBeenCalledWith('--heap-growing-percent=30')
    await withWorkspace({dir: project(`# ${'x'.repeat(1 << 20)}\n`), env: {APP_B: 'b'}, stateAccess: 'read-or-empty'}, async () => {})
    expect(set).toHaveBeenCalledWith('--heap-growing-percent=30')
  })
})

describe('makePlan with the values packed once read', () => {
  it('makes the same plan, and the same again from the packed values', async () => {
    await withWorkspace({dir: project(), env: {APP_B: 'b'}, stateAccess: 'read-or-empty'}, async (ws) => {
      const now = new Date('2026-01-01T00:00:00Z')
      const asResolved = await makePlan(ws, {now})
      let told = 0
      const packedOnce = await makePlan(ws, {now}, () => {
        told++
        ws.values = packedValues(ws.values)
      })
      expect(told).toBe(1)
      expect(ws.values).toBeInstanceOf(PackedValues)
      const packed = ws.values
      expect(packedValues(packed)).toBe(packed)
      const replanned = await makePlan(ws, {now})
      for (const plan of [packedOnce, replanned]) {
        expect(plan.changes).toEqual(asResolved.changes)
        expect(plan.sourceFingerprints).toEqual(asResolved.sourceFingerprints)
      }
      expect(Object.keys(asResolved.sourceFingerprints)).toEqual(['secret.app/A', 'secret.app/B'])
    })
  })
})
