/**
 * Test-only writer of the SOPS file format (age recipients), so tests can make files with any
 * content, rule and type the reader must handle. Written apart from src/formats on purpose (its
 * own walk, AES-GCM and value formatting, from getsops/sops `sops.go` Tree.Encrypt and
 * `aes/cipher.go` Encrypt) so that a shared mistake does not pass unseen; the real sops-made
 * vectors in test/fixtures/sops check both against sops itself.
 *
 * Values: string → str, bigint → int, number → float, boolean → bool, Uint8Array → bytes, null
 * stays null (not encrypted, not in the MAC). Maps are plain objects (insertion order), lists arrays.
 */
import {createCipheriv, createHash, randomBytes} from 'node:crypto'
import {armor, Encrypter} from 'age-encryption'
import {stringify} from 'yaml'

export type SopsRule = {name: 'unencrypted_suffix' | 'encrypted_suffix' | 'unencrypted_regex' | 'encrypted_regex'; value: string}

export interface WriteSopsOptions {
  format: 'yaml' | 'json' | 'dotenv'
  /** age recipients (age1…) the data key is encrypted to. */
  recipients: string[]
  /** Default: unencrypted_suffix "_unencrypted" written out, as sops does. */
  rule?: SopsRule
  macOnlyEncrypted?: boolean
  /** RFC 3339; default now, to the second. */
  lastModified?: string
  dataKey?: Uint8Array
  /** More metadata (e.g. `pgp: [...]`), written as given. */
  extraMetadata?: Record<string, unknown>
}

const MAC_ONLY_INIT = Buffer.from('8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69', 'hex')

function goFloat(n: number): string {
  // FormatFloat(f, 'f', -1, 64) for the values tests use (no exponent forms needed).
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf'
  const s = String(n)
  if (s.includes('e')) return BigInt(Math.round(n)).toString()
  return s
}

function plainBytes(v: unknown): {type: string; bytes: Buffer} {
  if (v instanceof Uint8Array) return {type: 'bytes', bytes: Buffer.from(v)}
  if (typeof v === 'boolean') return {type: 'bool', bytes: Buffer.from(v ? 'True' : 'False')}
  if (typeof v === 'bigint') return {type: 'int', bytes: Buffer.from(v.toString())}
  if (typeof v === 'number') return {type: 'float', bytes: Buffer.from(goFloat(v))}
  return {type: 'str', bytes: Buffer.from(String(v), 'utf8')}
}

/** ENC[AES256_GCM,…] of one value; "" stays "" as in sops. */
export function encValue(v: unknown, key: Uint8Array, aad: string, typeOverride?: string): string {
  const {type, bytes} = plainBytes(v)
  if (type === 'str' && bytes.length === 0) return ''
  const iv = randomBytes(32)
  const c = createCipheriv('aes-256-gcm', key, iv)
  c.setAAD(Buffer.from(aad, 'utf8'))
  const data = Buffer.concat([c.update(bytes), c.final()])
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${c.getAuthTag().toString('base64')},type:${typeOverride ?? type}]`
}

function encrypted(rule: SopsRule, path: string[]): boolean {
  switch (rule.name) {
    case 'unencrypted_suffix':
      return !path.some((k) => k.endsWith(rule.value))
    case 'encrypted_suffix':
      return path.some((k) => k.endsWith(rule.value))
    case 'unencrypted_regex':
      return !path.some((k) => new RegExp(rule.value).test(k))
    case 'encrypted_regex':
      return path.some((k) => new RegExp(rule.value).test(k))
  }
}

/** Encrypts `tree` (one document) to the recipients and returns the file's text. */
export async function writeSops(tree: Record<string, unknown>, opts: WriteSopsOptions): Promise<string> {
  const key = opts.dataKey ?? randomBytes(32)
  const rule = opts.rule ?? {name: 'unencrypted_suffix', value: '_unencrypted'}
  const hash = createHash('sha512')
  if (opts.macOnlyEncrypted) hash.update(MAC_ONLY_INIT)
  const walk = (v: unknown, path: string[]): unknown => {
    if (v === null || v === undefined) return v
    if (Array.isArray(v)) return v.map((item) => walk(item, path))
    if (typeof v === 'object' && !(v instanceof Uint8Array)) {
      const out: Record<string, unknown> = {}
      for (const [k, child] of Object.entries(v)) out[k] = walk(child, [...path, k])
      return out
    }
    const enc = encrypted(rule, path)
    if (!opts.macOnlyEncrypted || enc) hash.update(plainBytes(v).bytes)
    return enc ? encValue(v, key, `${path.join(':')}:`) : v
  }
  // sops reads every JSON number as a float64, so it encrypts them as type:float.
  const asJson = (v: unknown): unknown =>
    typeof v === 'bigint'
      ? Number(v)
      : Array.isArray(v)
        ? v.map(asJson)
        : v && typeof v === 'object' && !(v instanceof Uint8Array)
          ? Object.fromEntries(Object.entries(v).map(([k, c]) => [k, asJson(c)]))
          : v
  const data = walk(opts.format === 'json' ? asJson(tree) : tree, []) as Record<string, unknown>
  const lastModified = opts.lastModified ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z')
  const mac = encValue(hash.digest('hex').toUpperCase(), key, lastModified)

  const age = []
  for (const recipient of opts.recipients) {
    const e = new Encrypter()
    e.addRecipient(recipient)
    age.push({recipient, enc: armor.encode(await e.encrypt(key))})
  }
  const metadata: Record<string, unknown> = {
    kms: [],
    gcp_kms: [],
    azure_kv: [],
    hc_vault: [],
    age,
    lastmodified: lastModified,
    mac,
    pgp: [],
    [rule.name]: rule.value,
    ...(opts.macOnlyEncrypted ? {mac_only_encrypted: true} : {}),
    version: '3.9.0',
    ...opts.extraMetadata,
  }

  if (opts.format === 'json') {
    return `${JSON.stringify({...data, sops: metadata}, null, '\t')}\n`
  }
  if (opts.format === 'dotenv') {
    const lines = Object.entries(data).map(([k, v]) => `${k}=${String(v).replaceAll('\n', '\\n')}`)
    const flat: Array<[string, string]> = []
    const flatten = (prefix: string, v: unknown) => {
      if (Array.isArray(v)) for (const [i, item] of v.entries()) flatten(`${prefix}__list_${i}`, item)
      else if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) flatten(`${prefix}__map_${k}`, c)
      else flat.push([prefix, String(v)])
    }
    for (const [k, v] of Object.entries(metadata)) flatten(k, v)
    flat.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    for (const [k, v] of flat) lines.push(`sops_${k}=${v.replaceAll('\n', '\\n')}`)
    return `${lines.join('\n')}\n`
  }
  return stringify({...data, sops: metadata}, {indent: 4, lineWidth: 0})
}
