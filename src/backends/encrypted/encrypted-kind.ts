/**
 * The `encrypted` backend kind: values encrypted at rest with AES-256-GCM under a key derived from
 * a password with Argon2id, in the state database (default) or in a file (`path:`); `backend
 * rekey` changes the password. The kind declares the state variant's capabilities; the file
 * variant's driver declares its own (versioned, not in the state), which is what apply and the
 * planner's drift check read. Registered by one line in ../registry.ts.
 */
import type {BackendCapabilities, BackendKind} from '../kind.js'
import schema from './encrypted-schema.json' with {type: 'json'}

export const ENCRYPTED_CAPABILITIES: BackendCapabilities = {
  readOnly: false,
  versioned: false,
  storesInState: true,
  rotatableToken: false,
  listable: true,
}

export const ENCRYPTED_TYPE = 'encrypted'

export const encryptedKind: BackendKind = {
  type: ENCRYPTED_TYPE,
  aliases: [],
  summary: 'AES-256-GCM under an Argon2id key from a password, in the state database or a file',
  capabilities: ENCRYPTED_CAPABILITIES,
  configSchema: schema.config,
  configRequired: false,
  withDefaults: (config) => ({...config}),
  load: async () => ({createDriver: (await import('./encrypted-driver.js')).createEncryptedDriver}),
  rekey: {rekey: async (req) => (await import('./encrypted-rekey.js')).encryptedRekey.rekey(req)},
}
