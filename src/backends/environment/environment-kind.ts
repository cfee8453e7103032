/**
 * The `environment` backend kind: values from the variables of the process that runs secretctl,
 * for CI and stateless runs (ToolHive's environment provider). Read-only, never listed; a secret
 * on it names its keys under `refs`. Registered by one line in ../registry.ts.
 */
import type {BackendKind} from '../kind.js'
import {checkVariableRef, createEnvironmentDriver, DEFAULT_ENVIRONMENT_PREFIX, ENVIRONMENT_CAPABILITIES} from './environment-driver.js'
import schema from './environment-schema.json' with {type: 'json'}

export const environmentKind: BackendKind = {
  type: 'environment',
  aliases: [],
  summary: 'read-only values from the environment of the process that runs secretctl',
  capabilities: ENVIRONMENT_CAPABILITIES,
  configSchema: schema.config,
  configRequired: false,
  withDefaults: (config) => ({prefix: DEFAULT_ENVIRONMENT_PREFIX, ...config}),
  load: async () => ({createDriver: createEnvironmentDriver}),
  secretRefs: {
    syntax: 'a variable name',
    convention: `the variable ${DEFAULT_ENVIRONMENT_PREFIX}<SECRET>_<KEY> (or the backend's prefix)`,
    required: true,
    check: checkVariableRef,
  },
}
