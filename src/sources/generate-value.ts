/**
 * Random values for `generate` sources: every character drawn with crypto.randomInt, which is
 * unbiased, from the spec's charset. Called by apply when a key is created or due for rotation.
 */
import {randomInt} from 'node:crypto'
import type {GenerateSpec} from '../manifests/types.js'

const LOWER = 'abcdefghijklmnopqrstuvwxyz'
const UPPER = LOWER.toUpperCase()
const DIGITS = '0123456789'

/** Characters of each charset; `ascii` is printable ASCII without space (0x21–0x7e). */
export const CHARSETS: Record<string, string> = {
  alphanumeric: UPPER + LOWER + DIGITS,
  hex: DIGITS + 'abcdef',
  base64url: UPPER + LOWER + DIGITS + '-_',
  ascii: Array.from({length: 0x7e - 0x21 + 1}, (_, i) => String.fromCharCode(0x21 + i)).join(''),
}

export const DEFAULT_GENERATE: GenerateSpec = {length: 32, charset: 'alphanumeric'}

export function generateValue(spec: GenerateSpec): string {
  const chars = CHARSETS[spec.charset]
  if (!chars) throw new RangeError(`unknown charset "${spec.charset}"; known: ${Object.keys(CHARSETS).join(', ')}`)
  if (!Number.isInteger(spec.length) || spec.length < 1) throw new RangeError(`length must be a positive whole number`)
  let out = ''
  for (let i = 0; i < spec.length; i++) out += chars[randomInt(chars.length)]
  return out
}
