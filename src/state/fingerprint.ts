/**
 * The state's fingerprint of a value, defined once for every store: HMAC-SHA-256 with the state's
 * salt over `key NUL value` (UTF-8), hex. Per key, so that two keys holding the same value do not
 * show as equal; salted, so that a fingerprint says nothing about a value without the state.
 */
import {createHmac} from 'node:crypto'

export function fingerprintWith(salt: Buffer, key: string, value: string): string {
  return createHmac('sha256', salt).update(`${key}\0${value}`, 'utf8').digest('hex')
}

/** The same over bytes, synchronously, the salt held inside: for hashing many candidates (`secretctl scan`). */
export function bytesFingerprinter(salt: Buffer): (key: string, bytes: Uint8Array) => string {
  const prefixes = new Map<string, Buffer>()
  return (key, bytes) => {
    let prefix = prefixes.get(key)
    if (!prefix) {
      prefix = Buffer.from(`${key}\0`, 'utf8')
      prefixes.set(key, prefix)
    }
    return createHmac('sha256', salt).update(prefix).update(bytes).digest('hex')
  }
}
