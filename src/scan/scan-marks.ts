/**
 * What the state records of a value so that `secretctl scan` can find it without ever holding it
 * (KeyRecord.scan): for the value trimmed of surrounding blanks, and for each line of a multi-line
 * value, its length in bytes and a 16-bit tag from a fast keyed hash. Scan cuts the scanned text
 * into candidate tokens, drops every candidate whose length no recorded text has (nearly all of
 * them, for free), hashes the rest with the tag function, and computes the HMAC fingerprint only
 * for the few whose tag matches. The length and 16 bits of a keyed hash say next to nothing more
 * about a value than the fingerprint the state already keeps, and nothing without the state.
 *
 * Not recorded, so never looked for: values shorter than 8 bytes and plain words (`production`,
 * `localhost`): those are everywhere, and a finding there would be noise. Nor the armour lines of a
 * PEM block (`-----BEGIN …-----`), which are the same in every key.
 */
import type {KeyRecord, ScanNeedle, StateStore} from '../state/types.js'

/** The shortest value scan looks for, in bytes. */
export const SCAN_MIN_LENGTH = 8
/** The shortest line of a multi-line value scan looks for: a line is a part of a value, so it must say more on its own. */
export const SCAN_MIN_LINE_LENGTH = 16
/** Lines of one multi-line value recorded at most (a private key has about 50; a bundle of certificates far more, all public). */
export const SCAN_MAX_LINES = 200

const BLANKS = /^[ \t\r\n]+|[ \t\r\n]+$/g
const PEM_ARMOUR = /^-----(BEGIN|END) [A-Z0-9 ]+-----$/

/** Whether a text is worth looking for: long enough, and not a plain word (two kinds of characters at least, or long). */
export function worthScanning(text: string, min = SCAN_MIN_LENGTH): boolean {
  const length = Buffer.byteLength(text, 'utf8')
  if (length < min) return false
  if (length >= 16) return true
  const kinds = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(text)).length
  return kinds >= 2
}

/** The keyed 16-bit tag of bytes[start, end): FNV-1a from a per-state seed, then murmur3's finaliser to spread the bits. */
export function tagOf(seed: number, bytes: Uint8Array, start: number, end: number): number {
  let h = seed | 0
  for (let i = start; i < end; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h & 0xffff
}

/** A key name no secret can have (`#` is not allowed in key names): its fingerprint of the empty value seeds the tags. */
const TAG_SEED_KEY = '#scan-tag'
const seeds = new WeakMap<StateStore, Promise<number>>()

/** The state's tag seed: derived from its salt, so tags mean nothing without the state. */
export function scanTagSeed(state: StateStore): Promise<number> {
  let seed = seeds.get(state)
  if (!seed) {
    seed = state.fingerprint(TAG_SEED_KEY, '').then((hex) => Number.parseInt(hex.slice(0, 8), 16) | 0)
    seeds.set(state, seed)
  }
  return seed
}

/** The needles of one key's value, computed while the value is in hand (apply, import, `secret set`, token rotation). */
export async function scanMarks(state: StateStore, key: string, value: string): Promise<ScanNeedle[]> {
  const seed = await scanTagSeed(state)
  const needle = async (text: string, line?: number): Promise<ScanNeedle> => {
    const bytes = Buffer.from(text, 'utf8')
    return {
      ...(text === value ? {} : {fingerprint: await state.fingerprint(key, text)}),
      length: bytes.length,
      tag: tagOf(seed, bytes, 0, bytes.length),
      ...(line === undefined ? {} : {line}),
      ...(/[ \t\r\f\v]/.test(text) ? {spaced: true as const} : {}),
    }
  }
  const lines = value.split(/\r?\n/)
  const filled = lines.filter((l) => l.replace(BLANKS, '') !== '')
  if (filled.length <= 1) {
    const text = value.replace(BLANKS, '')
    return worthScanning(text) ? [await needle(text)] : []
  }
  const out: ScanNeedle[] = []
  const seen = new Set<string>()
  for (let i = 0; i < lines.length && out.length < SCAN_MAX_LINES; i++) {
    const text = (lines[i] as string).replace(BLANKS, '')
    if (seen.has(text) || PEM_ARMOUR.test(text) || !worthScanning(text, SCAN_MIN_LINE_LENGTH)) continue
    seen.add(text)
    out.push(await needle(text, i + 1))
  }
  return out
}

/** A key record with the needles of its value: kept when it has them (same fingerprint, same value), computed when not. */
export async function withScanMarks(state: StateStore, key: string, value: string, record: KeyRecord): Promise<KeyRecord> {
  return record.scan ? record : {...record, scan: await scanMarks(state, key, value)}
}
