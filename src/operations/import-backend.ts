/**
 * `secretctl import openbao|kubernetes --backend NAME`: what a backend already holds, adopted where
 * it is. The backend's kind says what is there (`BackendKind.import`: the objects, the name the
 * driver finds each by, what it cannot adopt); each object is read once, only to fingerprint its
 * keys (metadata before and after, so the version recorded is the version read; the values are
 * dropped), and the shared pipeline (src/import/import-secrets.ts) records it with placement-only
 * manifests, marking it as secretctl's first where the kind marks ownership. No value is written.
 */
import pLimit from 'p-limit'
import type {BackendDriver} from '../backends/driver.js'
import type {ImportOptions} from '../backends/kind.js'
import {canonicalType, kindOf} from '../backends/registry.js'
import {BackendError, UsageError} from '../errors.js'
import {
  type ImportContext,
  type ImportItem,
  type ImportRequest,
  type ImportResult,
  type ImportSource,
  importSecrets,
} from '../import/import-secrets.js'
import type {SecretValues} from '../state/types.js'

export interface ImportBackendRequest extends Omit<ImportRequest, 'source' | 'backend'> {
  /** The command's word (`openbao`, `kubernetes`): the backend must be of this kind. */
  type: string
  backend: string
  options: ImportOptions
}

/** Reads of one secret tried while its version keeps changing under them. */
const READ_ATTEMPTS = 3

export function importFromBackend(req: ImportBackendRequest): Promise<ImportResult> {
  const read = async ({ws, backend}: ImportContext): Promise<ImportSource> => {
    const record = await ws.state.getBackend(backend)
    const type = canonicalType(record?.type) ?? record?.type
    if (type !== req.type) {
      throw new UsageError(
        `backend ${backend} is of type ${type}, not ${req.type}`,
        `name a ${req.type} backend, or use secretctl import ${type ?? 'TYPE'}`,
      )
    }
    const kind = kindOf(type, backend)
    if (!kind.import) throw new UsageError(`secretctl cannot import from ${type} backends`)
    const adopt = kind.import
    const driver = await ws.drivers.get(backend)
    const found = await adopt.find(driver, req.options)
    const skipped = [...found.skipped]
    const items: ImportItem[] = []
    const limit = pLimit(ws.concurrency)
    await Promise.all(
      found.found.map((c) =>
        limit(async () => {
          const got = await readAt(driver, c.name)
          if ('skip' in got) return skipped.push({sourceName: c.sourceName, reason: got.skip})
          const claim =
            c.claim && adopt.claim && got.version !== null
              ? (fingerprints: Record<string, string>) => adopt.claim!(driver, c.name, fingerprints, got.version as string)
              : undefined
          items.push({
            sourceName: c.sourceName,
            name: c.name,
            values: got.values,
            placed: {externalRef: c.externalRef, version: got.version, claim},
          })
        }),
      ),
    )
    return {kind: req.type, origin: `${backend}: ${found.origin}`, items, skipped}
  }
  return importSecrets({...req, source: {kind: req.type, read}})
}

const GONE = 'holds no value (deleted meanwhile, or its latest version is deleted)'

/**
 * The values of one secret and the version they are at (its metadata read before and after the
 * values, again while they differ), or why it is skipped: gone, or holding what secretctl cannot
 * hold (a binary value, a value that is not a string). A refusal or an unreachable backend throws.
 */
async function readAt(driver: BackendDriver, name: string): Promise<{values: SecretValues; version: string | null} | {skip: string}> {
  for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
    const before = await driver.metadata(name)
    if (!before.exists) return {skip: GONE}
    const values = await driver.read(name).catch((err: unknown) => {
      if (err instanceof BackendError && !err.forbidden && err.status === undefined && err.hint !== undefined) return err
      throw err
    })
    if (values instanceof BackendError) return {skip: values.message}
    if (!values) return {skip: GONE}
    const after = await driver.metadata(name)
    if (after.exists && after.version === before.version) return {values, version: after.version}
  }
  return {skip: 'kept changing while it was read: import again when it is quiet'}
}
