/**
 * The `encrypted` backend kind: values encrypted at rest with AES-256-GCM under a key derived from
 * a password with Argon2id, in the state database (default) or in a file (`path:`); `backend
 * rekey` changes the password. The kind declares the state variant's capabilities; the file
 * variant's driver declares its own (versioned, not in the state), which is what apply and the
 * planner's drift check read. Registered by one line in ../registry.ts.
 */
import type {BackendKind} from '../kind.js'
import {createEncryptedDriver, ENCRYPTED_CAPABILITIES, ENCRYPTED_TYPE} from './encrypted-driver.js'
import {encryptedRekey} from './encrypted-rekey.js'
import schema from './encrypted-schema.json' with {type: 'json'}

export const encryptedKind: BackendKind = {
  type: ENCRYPTED_TYPE,
  aliases: [],
  summary: 'AES-256-GCM under an Argon2id key from a password, in the state database or a file',
  capabilities: ENCRYPTED_CAPABILITIES,
  configSchema: schema.config,
  configRequired: false,
  withDefaults: (config) => ({...config}),
  createDriver: createEncryptedDriver,
  rekey: encryptedRekey,
}
