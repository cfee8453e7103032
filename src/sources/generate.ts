/**
 * `generate: {length, charset, rotateEvery}`: a random value that apply creates, every character
 * drawn with crypto.randomInt (unbiased) from the charset, regenerated under `--rotate` once older
 * than `rotateEvery`. Nothing is read at plan time: the value does not exist until apply makes it.
 */
import {randomInt} from 'node:crypto'
import {parseDuration} from '../duration.js'
import type {KeySourceKind} from './source-kind.js'

export interface GenerateSpec {
  length: number
  /** `alphanumeric` (default) | `hex` | `base64url` | `ascii` (printable, no space). */
  charset: string
  /** Duration (`30d`): regenerate under `--rotate` when older. */
  rotateEvery?: string
}

export interface GenerateSource {
  kind: 'generate'
  spec: GenerateSpec
}

const LOWER = 'abcdefghijklmnopqrstuvwxyz'
const UPPER = LOWER.toUpperCase()
const DIGITS = '0123456789'

/** Characters of each charset; `ascii` is printable ASCII without space (0x21–0x7e). */
export const CHARSETS: Record<string, string> = {
  alphanumeric: UPPER + LOWER + DIGITS,
  hex: `${DIGITS}abcdef`,
  base64url: `${UPPER + LOWER + DIGITS}-_`,
  ascii: Array.from({length: 0x7e - 0x21 + 1}, (_, i) => String.fromCharCode(0x21 + i)).join(''),
}

export const DEFAULT_GENERATE: GenerateSpec = {length: 32, charset: 'alphanumeric'}

export function generateValue(spec: GenerateSpec): string {
  const chars = CHARSETS[spec.charset]
  if (!chars) throw new RangeError(`unknown charset "${spec.charset}"; known: ${Object.keys(CHARSETS).join(', ')}`)
  if (!Number.isInteger(spec.length) || spec.length < 1) throw new RangeError('length must be a positive whole number')
  let out = ''
  for (let i = 0; i < spec.length; i++) out += chars[randomInt(chars.length)]
  return out
}

export const generate: KeySourceKind<GenerateSource> = {
  kind: 'generate',
  field: 'generate',
  level: 'key',
  summary: 'A random value, generated on create and regenerated when due under `--rotate`.',
  schema: {
    type: 'object',
    properties: {
      length: {description: 'Number of characters.', type: 'integer', minimum: 8, maximum: 4096, default: DEFAULT_GENERATE.length},
      charset: {
        description: 'Characters to draw from; `ascii` is printable ASCII without space.',
        type: 'string',
        enum: Object.keys(CHARSETS),
        default: DEFAULT_GENERATE.charset,
      },
      rotateEvery: {$ref: '#/definitions/duration', description: 'Regenerate under `--rotate` when older than this (e.g. `30d`).'},
    },
    additionalProperties: false,
  },
  build(raw) {
    const g = (raw ?? {}) as Partial<GenerateSpec>
    const spec: GenerateSpec = {length: g.length ?? DEFAULT_GENERATE.length, charset: g.charset ?? DEFAULT_GENERATE.charset}
    if (g.rotateEvery !== undefined) spec.rotateEvery = g.rotateEvery
    return {kind: 'generate', spec}
  },
  check(raw) {
    const every = (raw as {rotateEvery?: unknown} | null)?.rotateEvery
    return typeof every === 'string' && parseDuration(every) === 0
      ? [{at: ['rotateEvery'], message: 'must be a duration longer than 0'}]
      : []
  },
  resolve: (source) => ({source: 'generate', spec: source.spec}),
  generate: (spec) => generateValue(spec as GenerateSpec),
  rotateEvery: (spec) => (spec as GenerateSpec).rotateEvery,
}
