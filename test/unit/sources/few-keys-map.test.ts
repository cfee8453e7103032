import {describe, expect, it} from 'vitest'
import {FewKeysMap} from '../../../src/sources/few-keys-map.js'

describe('FewKeysMap', () => {
  it('behaves as a Map for a few keys: insertion order, replacing keeps the place, missing keys', () => {
    const map = new FewKeysMap<number>().set('B', 1).set('A', 2).set('__proto__', 3).set('B', 4)
    const reference = new Map<string, number>().set('B', 1).set('A', 2).set('__proto__', 3).set('B', 4)
    expect([...map]).toEqual([...reference])
    expect([...map.keys()]).toEqual(['B', 'A', '__proto__'])
    expect([...map.values()]).toEqual([4, 2, 3])
    expect(map.size).toBe(3)
    expect(map.get('__proto__')).toBe(3)
    expect(map.has('constructor')).toBe(false)
    expect(map.get('constructor')).toBeUndefined()
    const seen: string[] = []
    map.forEach((value, key) => {
      seen.push(`${key}=${value}`)
    })
    expect(seen).toEqual(['B=4', 'A=2', '__proto__=3'])
  })

  it('indexes many keys and still answers as a Map does', () => {
    const entries = Array.from({length: 200}, (_, i) => [`K${(i * 37) % 200}`, i] as const)
    const map = FewKeysMap.from(entries)
    const reference = new Map(entries)
    expect([...map]).toEqual([...reference])
    map.set('K5', -1).set('NEW', 7)
    reference.set('K5', -1).set('NEW', 7)
    expect([...map]).toEqual([...reference])
    for (const key of [...reference.keys(), 'absent']) expect(map.get(key)).toBe(reference.get(key))
    expect([...map.keys()]).toEqual([...reference.keys()])
    expect([...map.values()]).toEqual([...reference.values()])
    const seen: Array<[string, number]> = []
    map.forEach((value, key, self) => {
      expect(self).toBe(map)
      seen.push([key, value])
    })
    expect(seen).toEqual([...reference.entries()])
  })

  it('gives each iterator of a map its own position', () => {
    const map = new FewKeysMap<number>().set('A', 1).set('B', 2)
    const first = map.entries()
    const keys = map.keys()
    expect(first.next().value).toEqual(['A', 1])
    expect([...map.entries()]).toEqual([
      ['A', 1],
      ['B', 2],
    ])
    expect([...keys]).toEqual(['A', 'B'])
    expect([...first]).toEqual([['B', 2]])
  })
})
