/**
 * `--secret NAME[,key=KEY][,target=ENV]`: which environment variables a secret becomes for `exec`.
 * Without target, every key of the secret becomes a variable of the same name (ToolHive's
 * `name,target=ENV` form is accepted for one-key secrets, or with key= to pick one).
 */
import {UsageError} from '../errors.js'
import type {SecretValues} from '../state/types.js'

export interface SecretMapping {
  name: string
  key?: string
  target?: string
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

export function parseSecretMapping(spec: string): SecretMapping {
  const [name, ...opts] = spec.split(',')
  if (!name) throw new UsageError(`--secret ${JSON.stringify(spec)}: a secret name is required`, 'use --secret NAME[,key=KEY][,target=ENV]')
  const mapping: SecretMapping = {name: name.trim()}
  for (const opt of opts) {
    const [k, v] = opt.split('=', 2).map((s) => s.trim())
    if (k === 'target' && v && ENV_NAME.test(v)) mapping.target = v
    else if (k === 'key' && v) mapping.key = v
    else
      throw new UsageError(
        `--secret ${JSON.stringify(spec)}: unknown option ${JSON.stringify(opt)}`,
        'use --secret NAME[,key=KEY][,target=ENV]',
      )
  }
  return mapping
}

/** The variables one secret contributes. Errors name the secret and keys, never values. */
export function environmentFor(mapping: SecretMapping, values: SecretValues): Record<string, string> {
  const variables = variablesFor(mapping, values)
  // The OS cannot carry a NUL byte in an environment variable, and Node's refusal would quote the value.
  for (const [variable, value] of Object.entries(variables)) {
    if (value.includes('\0')) {
      throw new UsageError(
        `secret ${mapping.name}: the value for ${variable} holds a NUL byte, which an environment variable cannot carry`,
        'store such values base64-encoded',
      )
    }
  }
  return variables
}

function variablesFor(mapping: SecretMapping, values: SecretValues): Record<string, string> {
  const keys = Object.keys(values).sort()
  if (mapping.key !== undefined && !(mapping.key in values)) {
    throw new UsageError(`secret ${mapping.name} has no key ${mapping.key}`, `its keys are: ${keys.join(', ')}`)
  }
  if (mapping.target) {
    const key = mapping.key ?? (keys.length === 1 ? keys[0] : undefined)
    if (key === undefined)
      throw new UsageError(
        `secret ${mapping.name} has ${keys.length} keys; say which one goes into ${mapping.target}`,
        `use --secret ${mapping.name},key=KEY,target=${mapping.target}`,
      )
    return {[mapping.target]: values[key]!}
  }
  if (mapping.key !== undefined) return {[mapping.key]: values[mapping.key]!}
  const bad = keys.filter((k) => !ENV_NAME.test(k))
  if (bad.length)
    throw new UsageError(
      `secret ${mapping.name}: key${bad.length > 1 ? 's' : ''} ${bad.join(', ')} cannot be environment variable names`,
      `map one with --secret ${mapping.name},key=KEY,target=ENV`,
    )
  return {...values}
}
