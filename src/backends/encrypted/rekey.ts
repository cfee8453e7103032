/**
 * `backend rekey` in the core: every envelope of a store opened under the old key and sealed
 * under the new one, in memory, old object in, new object out. Nothing is written here, so the
 * driver commits the result in one step (one state-database transaction, or one atomic file
 * replace): until that step the old header and envelopes are untouched and the old password
 * still opens the store; after it, only the new one does. An envelope that does not open under
 * the old key stops the rekey before anything is written (CorruptValueError naming it).
 */
import type {EnvelopeMap, StoreDocument, StoreHeader} from './store-document.js'
import type {ValueCipher} from './value-cipher.js'

/** Every envelope re-sealed: opened with `from`, sealed with `to` under a fresh nonce, at the same secret and key. */
export function reencryptEnvelopes(secrets: EnvelopeMap, from: ValueCipher, to: ValueCipher): EnvelopeMap {
  return Object.fromEntries(
    Object.entries(secrets).map(([secret, envelopes]) => [secret, to.sealSecret(secret, from.openSecret(secret, envelopes))]),
  )
}

/**
 * The whole document under a new key: the new header (KDF spec with its new salt and cost, and
 * its key check) and every envelope re-sealed. `next` comes from createStoreHeader with the new
 * password.
 */
export function rekeyDocument(doc: StoreDocument, from: ValueCipher, next: {header: StoreHeader; cipher: ValueCipher}): StoreDocument {
  // A wrong old key is a wrong password, not a store full of corrupt values.
  from.verifyKeyCheck(doc.keyCheck)
  next.cipher.verifyKeyCheck(next.header.keyCheck)
  return {
    format: doc.format,
    version: doc.version,
    kdf: next.header.kdf,
    keyCheck: next.header.keyCheck,
    secrets: reencryptEnvelopes(doc.secrets, from, next.cipher),
    // The values are the same: their write counters stay, so a rekey is no drift.
    versions: doc.versions,
  }
}
