/**
 * The Secret object secretctl writes for one secret, built in one place so that apply and
 * `secretctl render` write the same thing: name and namespace, the backend's labels and
 * annotations with the ownership ones over them, the type, and each key as a `data` entry
 * (base64 of its UTF-8 bytes) or, for render `--string-data`, a `stringData` entry. And the way
 * back: a Secret's `data` decoded into values.
 */
import type {SecretValues} from '../../state/types.js'
import {type KubernetesConfig, ownershipAnnotations, ownershipLabels} from './kubernetes-config.js'

export interface SecretObject {
  apiVersion: 'v1'
  kind: 'Secret'
  metadata: {
    name: string
    namespace: string
    labels: Record<string, string>
    annotations: Record<string, string>
    resourceVersion?: string
  }
  type: string
  data?: Record<string, string>
  stringData?: Record<string, string>
}

export interface SecretObjectInput {
  config: KubernetesConfig
  backend: string
  namespace: string
  objectName: string
  secretName: string
  /** `secret.NAME`. */
  address: string
  values: SecretValues
  /** keysDigest of the values' fingerprints; absent when rendered before any state exists. */
  digest?: string
  /** `stringData` (values in clear) instead of `data`. */
  plain?: boolean
}

export function secretObject(i: SecretObjectInput): SecretObject {
  const keys = Object.keys(i.values).sort()
  const entries = keys.map((k) => [k, i.plain ? (i.values[k] as string) : Buffer.from(i.values[k] as string, 'utf8').toString('base64')])
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: i.objectName,
      namespace: i.namespace,
      labels: sorted(ownershipLabels(i.config, i.backend, i.secretName)),
      annotations: sorted(ownershipAnnotations(i.config, i.address, i.digest)),
    },
    type: i.config.type,
    ...(i.plain ? {stringData: Object.fromEntries(entries)} : {data: Object.fromEntries(entries)}),
  }
}

function sorted(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(map)
      .sort()
      .map((k) => [k, map[k] as string]),
  )
}

/**
 * A Secret's `data` as values, or the key whose bytes are not text (secretctl stores strings:
 * such a Secret is not one it can hold). Values stay in memory.
 */
export function decodeSecretData(data: unknown): {values: SecretValues} | {binaryKey: string} | {malformed: true} {
  if (data === undefined || data === null) return {values: {}}
  if (typeof data !== 'object' || Array.isArray(data)) return {malformed: true}
  const values: SecretValues = {}
  for (const [key, encoded] of Object.entries(data as Record<string, unknown>)) {
    if (typeof encoded !== 'string') return {malformed: true}
    const bytes = Buffer.from(encoded, 'base64')
    const text = bytes.toString('utf8')
    if (!Buffer.from(text, 'utf8').equals(bytes)) return {binaryKey: key}
    values[key] = text
  }
  return {values}
}
