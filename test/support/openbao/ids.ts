/**
 * Identifiers in OpenBao's shapes: UUIDs for request ids and mount uuids, base62 strings for token
 * ids and accessors, short mount accessors (`kv_1a2b3c4d`) and 5-character namespace ids.
 */
import {randomBytes, randomUUID} from 'node:crypto'

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** A random base62 string of `length` characters. */
export function base62(length: number): string {
  let out = ''
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62]
      if (out.length === length) break
    }
  }
  return out
}

export function uuid(): string {
  return randomUUID()
}

/** A mount accessor such as `kv_1a2b3c4d`. */
export function mountAccessor(type: string): string {
  return `${type}_${randomBytes(4).toString('hex')}`
}

/** A namespace id: 5 base62 characters, as OpenBao generates them. */
export function namespaceId(): string {
  return base62(5)
}
