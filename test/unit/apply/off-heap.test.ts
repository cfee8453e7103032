/** What a large apply keeps outside the heap comes back exactly: texts, values (plain ones packed, others as they are), the plan's fingerprints. */
import {describe, expect, it} from 'vitest'
import {OffHeapTexts} from '../../../src/apply/off-heap-texts.js'
import {PackedValues} from '../../../src/apply/packed-values.js'
import {setFingerprintsAside} from '../../../src/apply/fingerprints-aside.js'
import type {ResolvedValue, ResolvedValues} from '../../../src/sources/resolve-values.js'
import type {Plan} from '../../../src/plan/types.js'

const odd = 'é → 𝄞 "quoted" \\ back\nslash \u0000 nul'

describe('OffHeapTexts', () => {
  it('gives back each text by its number, across chunks and for a text longer than a chunk; an erased one is zeros', () => {
    const texts = new OffHeapTexts()
    const long = 'x'.repeat(3 << 20)
    const all = Array.from({length: 40_000}, (_, i) => (i === 17 ? long : `${i}:${odd}:${'y'.repeat(i % 97)}`))
    expect(all.map((t) => texts.add(t))).toEqual(all.map((_, i) => i))
    expect(texts.count).toBe(all.length)
    for (const i of [0, 16, 17, 18, 12_345, 39_999]) expect(texts.get(i)).toBe(all[i])
    texts.erase(1)
    expect(texts.get(1)).toBe('\u0000'.repeat(Buffer.byteLength(all[1] as string)))
    expect(texts.get(2)).toBe(all[2])
    expect(() => texts.get(40_000)).toThrow(RangeError)
  })
})

describe('PackedValues', () => {
  it('gives back every secret as resolved (plain values packed, generated and unknown ones as they were) and lets go of each', () => {
    const generated: ResolvedValue = {source: 'generate', spec: {length: 32}}
    const unknown: ResolvedValue = {source: 'sops', unknown: {cipherDigest: 'c', file: 'v.enc.yaml', reason: 'no key'}}
    const values: ResolvedValues = new Map<string, ReadonlyMap<string, ResolvedValue>>([
      ['a', new Map([['K', {source: 'file', value: odd}]])],
      [
        'b',
        new Map<string, ResolvedValue>([
          ['Z', {source: 'env', value: 'z'}],
          ['A', {source: 'sops', value: 'a', cipherDigest: 'd1'}],
        ]),
      ],
      ['c', new Map([['G', generated]])],
      ['d', new Map([['U', unknown]])],
      ['e', new Map()],
    ])
    const packed = new PackedValues(values)
    for (const [name, keys] of values) expect([...(packed.get(name)?.entries() ?? [])]).toEqual([...keys.entries()])
    expect(packed.get('c')?.get('G')).toBe(generated)
    expect(packed.get('missing')).toBeUndefined()
    expect(packed.delete('a')).toBe(true)
    expect(packed.get('a')).toBeUndefined()
    expect(packed.delete('c')).toBe(true)
    expect(packed.get('c')).toBeUndefined()
    expect(packed.get('b')?.get('A')).toEqual({source: 'sops', value: 'a', cipherDigest: 'd1'})
  })
})

describe('setFingerprintsAside', () => {
  it('empties the plan’s fingerprints and puts back an object that prints the same JSON', () => {
    const sourceFingerprints: Record<string, string> = {}
    for (let i = 0; i < 5000; i++) sourceFingerprints[`secret.s-${4999 - i}/K${i % 3}`] = `${i}`.padStart(64, 'f')
    sourceFingerprints[`secret.${odd}/${odd}`] = odd
    const plan = {formatVersion: 1, lineage: 'L', serial: 1, sourceFingerprints, changes: []} as unknown as Plan
    const before = JSON.stringify(plan, null, 2)
    const restore = setFingerprintsAside(plan)
    expect(plan.sourceFingerprints).toEqual({})
    restore()
    expect(JSON.stringify(plan, null, 2)).toBe(before)
  })
})
