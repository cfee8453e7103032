/**
 * Identifiers in 1Password's shape: vault, item, field, section and file ids are 26 characters of
 * `[a-z0-9]` (the Connect spec's `^[\da-z]{26}$`, which the JavaScript SDK's `isValidId` tests
 * to tell an id from a title); request ids are UUIDs.
 */
import {randomBytes, randomUUID} from 'node:crypto'

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'

/** A random string of `length` characters from `[a-z0-9]`. */
export function opId(length = 26): string {
  let out = ''
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 252 = 7 * 36: reject the tail so every character is equally likely.
      if (byte < 252) out += ALPHABET[byte % 36]
      if (out.length === length) break
    }
  }
  return out
}

/** Whether `s` looks like a 1Password id (what the SDKs treat as an id rather than a title). */
export function isOpId(s: string): boolean {
  return /^[a-z0-9]{26}$/.test(s)
}

export function uuid(): string {
  return randomUUID()
}
