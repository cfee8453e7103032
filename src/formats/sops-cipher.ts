/**
 * One SOPS value: `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`, AES-256-GCM under the file's data
 * key with the value's key path as additional data, and the typed plaintext it stands for.
 * Mirrors getsops/sops `aes/cipher.go` (parse, Decrypt, Encrypt) and `sops.go` (`ToBytes`, the
 * bytes each value contributes to the MAC), including Go's number and bool formatting, so that
 * a MAC computed here equals the one sops computed.
 */
import {createCipheriv, createDecipheriv, randomBytes} from 'node:crypto'

/** A decrypted (or never encrypted) SOPS leaf. `bigint` is an int, `number` a float (JSON numbers are floats, as in sops). */
export type SopsScalar = string | bigint | number | boolean | Uint8Array

/** The types sops writes after `type:` (`int64` and `comment` occur in some versions and places). */
export const SOPS_TYPES = ['str', 'int', 'int64', 'float', 'bool', 'bytes', 'comment'] as const

// The same expression as sops (no end anchor, greedy groups); base64 never holds a comma, so the groups are unambiguous.
const ENC_RE = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** Why a value would not open; the caller adds the file, line and key path. Never carries the value. */
export class SopsValueError extends Error {
  constructor(
    readonly problem: 'malformed' | 'bad-base64' | 'unknown-type' | 'tampered',
    message: string,
  ) {
    super(message)
  }
}

export function isSopsEncrypted(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('ENC[AES256_GCM,')
}

interface EncryptedParts {
  data: Buffer
  iv: Buffer
  tag: Buffer
  type: string
}

function parseEnc(value: string): EncryptedParts {
  const m = ENC_RE.exec(value)
  if (!m) throw new SopsValueError('malformed', 'is not a SOPS-encrypted value (ENC[AES256_GCM,data:…,iv:…,tag:…,type:…])')
  const field = (name: string, s: string) => {
    if (!BASE64_RE.test(s)) throw new SopsValueError('bad-base64', `has a ${name} field that is not valid base64`)
    return Buffer.from(s, 'base64')
  }
  return {data: field('data', m[1]), iv: field('iv', m[2]), tag: field('tag', m[3]), type: m[4]}
}

/** Decrypts one ENC[…] value; `additionalData` is the key path joined with ":" plus a trailing ":". */
export function decryptSopsValue(value: string, dataKey: Uint8Array, additionalData: string): {value: SopsScalar; macBytes: Uint8Array} {
  // sops leaves "" as "" (Cipher.Decrypt: isEmpty); it adds nothing to the MAC.
  if (value === '') return {value: '', macBytes: new Uint8Array(0)}
  const enc = parseEnc(value)
  if (!(SOPS_TYPES as readonly string[]).includes(enc.type)) {
    const shown = /^[a-z0-9_]{1,16}$/.test(enc.type) ? `"${enc.type}"` : 'an unrecognised one'
    throw new SopsValueError('unknown-type', `has type ${shown}; SOPS writes ${SOPS_TYPES.join(', ')}`)
  }
  if (enc.iv.length === 0 || enc.tag.length !== 16) throw new SopsValueError('malformed', 'has an iv or tag of the wrong length')
  let plain: Buffer
  try {
    const d = createDecipheriv('aes-256-gcm', dataKey, enc.iv)
    d.setAAD(Buffer.from(additionalData, 'utf8'))
    d.setAuthTag(enc.tag)
    plain = Buffer.concat([d.update(enc.data), d.final()])
  } catch {
    throw new SopsValueError('tampered', 'fails authentication: it was changed, or moved here from another key')
  }
  return typedValue(enc.type, plain)
}

/** The typed value of decrypted bytes, as aes/cipher.go converts them, and the bytes ToBytes gives for the MAC. */
function typedValue(type: string, plain: Buffer): {value: SopsScalar; macBytes: Uint8Array} {
  const text = plain.toString('utf8')
  const bad = () => new SopsValueError('malformed', `does not hold a valid ${type}`)
  switch (type) {
    case 'str':
    case 'comment':
      // Go keeps the bytes as they are; the MAC is over those bytes, not a re-encoding.
      return {value: text, macBytes: plain}
    case 'bytes':
      return {value: new Uint8Array(plain), macBytes: plain}
    case 'int':
    case 'int64': {
      if (!/^[+-]?[0-9]+$/.test(text)) throw bad()
      const n = BigInt(text)
      return {value: n, macBytes: sopsMacBytes(n)}
    }
    case 'float': {
      const n = parseGoFloat(text)
      if (n === undefined) throw bad()
      return {value: n, macBytes: sopsMacBytes(n)}
    }
    case 'bool': {
      const b = parseGoBool(text)
      if (b === undefined) throw bad()
      return {value: b, macBytes: sopsMacBytes(b)}
    }
  }
  throw bad()
}

/** The bytes a value adds to the MAC (sops.go ToBytes): ints in decimal, floats as FormatFloat(f, 'f', -1), bools True/False. */
export function sopsMacBytes(v: SopsScalar): Uint8Array {
  if (v instanceof Uint8Array) return v
  if (typeof v === 'boolean') return Buffer.from(v ? 'True' : 'False')
  if (typeof v === 'bigint') return Buffer.from(v.toString())
  if (typeof v === 'number') return Buffer.from(formatGoFloat(v))
  return Buffer.from(v, 'utf8')
}

/** A leaf as text, the way sops prints it in dotenv output: ints in decimal, floats without exponent, bools lowercase. */
export function sopsValueText(v: SopsScalar): string {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8')
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (typeof v === 'bigint') return v.toString()
  if (typeof v === 'number') return formatGoFloat(v)
  return v
}

/** strconv.FormatFloat(f, 'f', -1, 64): the shortest digits that round-trip, never in exponent form. */
export function formatGoFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN'
  if (n === Number.POSITIVE_INFINITY) return '+Inf'
  if (n === Number.NEGATIVE_INFINITY) return '-Inf'
  if (Object.is(n, -0)) return '-0'
  const s = String(n)
  const e = s.indexOf('e')
  if (e < 0) return s
  const sign = s.startsWith('-') ? '-' : ''
  const mantissa = s.slice(sign.length, e)
  const exp = Number(s.slice(e + 1))
  const dot = mantissa.indexOf('.')
  const digits = mantissa.replace('.', '')
  const point = (dot < 0 ? mantissa.length : dot) + exp
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`
}

function parseGoFloat(s: string): number | undefined {
  const lower = s.toLowerCase()
  if (['inf', '+inf', 'infinity', '+infinity'].includes(lower)) return Number.POSITIVE_INFINITY
  if (['-inf', '-infinity'].includes(lower)) return Number.NEGATIVE_INFINITY
  if (lower === 'nan') return Number.NaN
  if (!/^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(s)) return undefined
  return Number(s)
}

/** strconv.ParseBool. */
function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false
  return undefined
}

/**
 * Encrypts a value as sops does (32-byte random IV, type from the JS type): for the test writer and
 * for the MAC. `float` marks a number that sops would hold as float64 (every JSON number).
 */
export function encryptSopsValue(
  value: SopsScalar | string,
  dataKey: Uint8Array,
  additionalData: string,
  iv: Uint8Array = randomBytes(32),
): string {
  if (value === '') return ''
  let type: string
  let plain: Uint8Array
  if (value instanceof Uint8Array) {
    type = 'bytes'
    plain = value
  } else if (typeof value === 'boolean') {
    type = 'bool'
    plain = sopsMacBytes(value)
  } else if (typeof value === 'bigint') {
    type = 'int'
    plain = sopsMacBytes(value)
  } else if (typeof value === 'number') {
    type = 'float'
    plain = sopsMacBytes(value)
  } else {
    type = 'str'
    plain = Buffer.from(value, 'utf8')
  }
  const c = createCipheriv('aes-256-gcm', dataKey, iv)
  c.setAAD(Buffer.from(additionalData, 'utf8'))
  const data = Buffer.concat([c.update(plain), c.final()])
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64')
  return `ENC[AES256_GCM,data:${b64(data)},iv:${b64(iv)},tag:${b64(c.getAuthTag())},type:${type}]`
}
