/**
 * The `onepassword` backend kind: read-only values in 1Password items, through a Connect server
 * (ToolHive's 1Password provider). A secret on it names its keys' fields with `refs`
 * (`op://vault/item/[section/]field`); drift is the item's version. Registered by one line in
 * ../registry.ts.
 */
import type {BackendCapabilities, BackendKind} from '../kind.js'
import {checkOpRef} from './onepassword-refs.js'
import schema from './onepassword-schema.json' with {type: 'json'}

export const ONEPASSWORD_CAPABILITIES: BackendCapabilities = {
  readOnly: true,
  versioned: true,
  storesInState: false,
  rotatableToken: false,
  listable: false,
}

export const onePasswordKind: BackendKind = {
  type: 'onepassword',
  aliases: ['1password'],
  summary: 'read-only 1Password items, through a Connect server',
  capabilities: ONEPASSWORD_CAPABILITIES,
  configSchema: schema.config,
  configRequired: true,
  withDefaults: (config) => ({...config}),
  load: async () => ({createDriver: (await import('./onepassword-driver.js')).createOnePasswordDriver}),
  secretRefs: {
    syntax: 'op://vault/item/[section/]field',
    convention: "the field KEY of the item titled like the secret, in the backend's vault",
    required: false,
    check: checkOpRef,
  },
}
