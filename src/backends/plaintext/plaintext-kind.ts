/**
 * The `plaintext` backend kind: values in the state database's own secrets row. The built-in
 * backend `default` is of this kind and is the trust root holding other backends' tokens.
 * Registered by one line in ../registry.ts.
 */
import type {BackendKind} from '../kind.js'
import {createPlaintextDriver, PLAINTEXT_CAPABILITIES} from './plaintext-driver.js'
import schema from './plaintext-schema.json' with {type: 'json'}

export const plaintextKind: BackendKind = {
  type: 'plaintext',
  aliases: [],
  summary: 'values in the state database',
  capabilities: PLAINTEXT_CAPABILITIES,
  configSchema: schema.config,
  configRequired: false,
  withDefaults: (config) => ({...config}),
  load: async () => ({createDriver: createPlaintextDriver}),
}
