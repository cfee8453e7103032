import {describe, expect, it} from 'vitest'
import {FieldPositions} from '../../../src/manifests/field-positions.js'

describe('FieldPositions', () => {
  it('gives back every position as given, relative lines and long columns alike', () => {
    const fields = FieldPositions.of('m.yaml', [
      ['kind', {line: 90_001, column: 1}],
      ['data.K.fromFile', {line: 90_004, column: 19}],
      ['wide', {line: 90_000, column: 70_000}],
      ['far', {line: 2_000_000, column: 65_535}],
    ])
    expect(fields.get('kind')).toEqual({file: 'm.yaml', line: 90_001, column: 1})
    expect(fields.get('data.K.fromFile')).toEqual({file: 'm.yaml', line: 90_004, column: 19})
    expect(fields.get('wide')).toEqual({file: 'm.yaml', line: 90_000, column: 70_000})
    expect(fields.get('far')).toEqual({file: 'm.yaml', line: 2_000_000, column: 65_535})
    expect(fields.get('data')).toBeUndefined()
  })

  it('knows no field of a document without fields, nor of none', () => {
    expect(FieldPositions.of('m.yaml', []).get('kind')).toBeUndefined()
    expect(FieldPositions.none.get('kind')).toBeUndefined()
  })
})
