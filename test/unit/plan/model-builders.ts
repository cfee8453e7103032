/** Builders for desired and live models used by the plan and apply unit tests. */
import type {BackendManifest, DesiredModel, SecretManifest, ValueSource} from '../../../src/manifests/types.js'
import type {BackendRecord, SecretRecord, KeyRecord} from '../../../src/state/types.js'
import type {DesiredKey} from '../../../src/plan/compute-plan.js'
import {FieldPositions} from '../../../src/manifests/field-positions.js'

const at = {file: 'm.yaml', line: 1, column: 1}

export function backendManifest(name: string, opts: Partial<BackendManifest> = {}): BackendManifest {
  return {kind: 'SecretBackend', name, type: 'plaintext', isDefault: false, config: {}, at, fields: FieldPositions.none, ...opts}
}

export function secretManifest(
  name: string,
  keys: Record<string, ValueSource['kind']> | null,
  opts: Partial<SecretManifest> = {},
): SecretManifest {
  const data: Record<string, ValueSource> = {}
  for (const [k, kind] of Object.entries(keys ?? {})) {
    data[k] = kind === 'generate' ? {kind: 'generate', spec: {length: 32, charset: 'alphanumeric'}} : {kind: 'env', variable: k}
  }
  return {kind: 'Secret', name, data, placementOnly: keys === null, keepSource: false, at, fields: FieldPositions.none, ...opts}
}

export function desiredModel(backends: BackendManifest[], secrets: SecretManifest[]): DesiredModel {
  return {dir: '/m', environment: null, backends, secrets, config: {}, digest: 'd', files: ['m.yaml']}
}

let id = 0
export function backendRecord(name: string, opts: Partial<BackendRecord> = {}): BackendRecord {
  return {
    id: ++id,
    name,
    type: 'plaintext',
    description: null,
    isDefault: name === 'default',
    config: {},
    rotation: null,
    tokenMeta: null,
    createdAt: 't',
    updatedAt: 't',
    ...opts,
  }
}

export function keyRecord(fingerprint: string, opts: Partial<KeyRecord> = {}): KeyRecord {
  return {fingerprint, source: 'env', writtenAt: '2026-01-01T00:00:00.000Z', ...opts}
}

export function secretRecord(
  name: string,
  backend: string,
  keys: Record<string, KeyRecord>,
  opts: Partial<SecretRecord> = {},
): SecretRecord {
  return {id: ++id, name, backendId: 1, backend, externalRef: null, keys, backendVersion: null, createdAt: 't', updatedAt: 't', ...opts}
}

export function desiredKeys(entries: Record<string, Record<string, string | null>>): Map<string, Map<string, DesiredKey>> {
  return new Map(
    Object.entries(entries).map(([name, keys]) => [
      name,
      new Map(
        Object.entries(keys).map(([k, fp]) => [
          k,
          fp === null ? {source: 'generate' as const, fingerprint: null} : {source: 'env' as const, fingerprint: fp},
        ]),
      ),
    ]),
  )
}
