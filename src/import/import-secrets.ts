/**
 * `secretctl import <source>`: what every import shares, whatever system the values come from
 * (ToolHive's encrypted file, a dotenv file, or the backend itself: an OpenBao folder, Kubernetes
 * Secrets). A source hands over items (its name for each secret, and the values, read only to be
 * fingerprinted when they stay where they are); this module
 *   - maps the names to valid secretctl names (import-names.ts), the mapping part of the result;
 *     an item already on the backend keeps the one name the backend finds it by;
 *   - refuses, changing nothing, a name that is already a different secret in the manifests or the
 *     state, or whose manifest file exists; an item already imported (same backend, same values)
 *     is skipped, so a re-run after an interruption finishes the job, and a second run is a no-op;
 *   - under the state lock, writes each value to the backend (check-and-set "absent" where the kind
 *     is versioned: an import never overwrites) or, for an item already on it, writes nothing (a
 *     kind that marks ownership marks the object as secretctl's, metadata only), and records the
 *     secret in the state with its fingerprints and what `scan` looks for; every secret is audited;
 *   - writes a Secret manifest per secret (imported-manifests.ts): placement only, or naming the
 *     file the values came from,
 * so that right after, `plan` has nothing to do. A dry run does the checks and writes nothing.
 */
import {randomUUID} from 'node:crypto'
import {existsSync} from 'node:fs'
import path from 'node:path'
import pLimit from 'p-limit'
import {describeError} from '../apply/describe-error.js'
import type {CredentialPrompt} from '../backends/driver.js'
import {DEFAULT_BACKEND} from '../backends/trust-root.js'
import {BackendError, UsageError} from '../errors.js'
import {KEY_NAME_PATTERN} from '../manifests/manifest-schemas.js'
import {loadManifests} from '../manifests/load-manifests.js'
import type {SecretManifest} from '../manifests/types.js'
import {secretAddress} from '../plan/addresses.js'
import {placementOf} from '../plan/compute-plan.js'
import type {KeyRecord, SecretRecord, SecretValues} from '../state/types.js'
import {valueFingerprints} from '../state/keys-digest.js'
import {resolveActor} from '../workspace/actor.js'
import {withStateLock} from '../workspace/with-state-lock.js'
import {assertMayRecord} from '../apply/state-writes.js'
import {DEFAULT_CONCURRENCY, type Workspace, withWorkspace} from '../workspace/workspace.js'
import {environmentChoice} from '../workspace/environment-state.js'
import type {LockInfo} from '../state/state-lock.js'
import {mapImportNames} from './import-names.js'
import {manifestPath, writeImportedManifest} from './imported-manifests.js'
import {scanMarks} from '../scan/scan-marks.js'

/** How the state records an imported key's source: a value secretctl did not produce (placement only). */
export const IMPORTED_SOURCE = 'external'

export interface ImportItem {
  /** The secret's name in the source system, as the mapping shows it. */
  sourceName: string
  /** The secretctl name, when the source decides it (a backend finds an object by one name only); else mapped from sourceName. */
  name?: string
  values: SecretValues
  /** Already on the destination backend (an import that adopts values where they are): recorded as is, not written. */
  placed?: PlacedItem
  /** How the state records each key's source (default `external`: placement only). */
  keySource?: string
  /** Key → SHA-256 of its ciphertext, for values read from an encrypted file (the plan compares them as apply recorded them). */
  cipherDigests?: Record<string, string>
  /** The file the written manifest takes the values from (`envFile:`), absolute; absent: placement only. */
  envFile?: string
}

/** An object already on the backend, where it stays. */
export interface PlacedItem {
  externalRef: string | null
  version: string | null
  /**
   * For kinds that mark ownership: marks the object as secretctl's (metadata only, at `version`;
   * no value is sent) and returns its new version. Absent when it is secretctl's already.
   */
  claim?: (fingerprints: Record<string, string>) => Promise<string>
}

/** What a source read. */
export interface ImportSource {
  /** `toolhive`, …: the command's source word, in the audit, the output and the manifests. */
  kind: string
  /** Where the items came from: a file path, a URL, a namespace. */
  origin: string
  items: ImportItem[]
  /** What the source found but cannot import, each with why (a sub-folder, a Secret of another type, …). */
  skipped?: Array<{sourceName: string; reason: string}>
}

/** What a source may use once the checks have passed: the run's workspace and the destination backend. */
export interface ImportContext {
  ws: Workspace
  backend: string
}

/** A source to read once the manifests and the backend have passed their checks (so bad input fails before any password is asked). */
export interface ImportSourceReader {
  kind: string
  read(ctx: ImportContext): Promise<ImportSource>
}

export interface ImportRequest {
  dir: string
  state?: string
  /** `--env`. */
  environment?: string
  env: NodeJS.ProcessEnv
  /** Told when the lock of a holder no longer running was taken over. */
  onTakeover?: (previous: LockInfo) => void
  prompt?: CredentialPrompt
  source: ImportSourceReader
  /** The backend the values go to; default `default`. */
  backend?: string
  /** Where the manifests go, inside the manifests directory; default `<dir>/<source kind>`. */
  outDir?: string
  dryRun: boolean
  lockTimeoutMs: number
  concurrency?: number
}

export type ImportStatus = 'imported' | 'would import' | 'already imported' | 'skipped' | 'failed'

export interface ImportedSecret {
  from: string
  /** The secretctl name; null for what was skipped before it had one. */
  name: string | null
  keys: string[]
  status: ImportStatus
  /** The manifest written for it (relative to the manifests directory), or null when one already declares it. */
  manifest: string | null
  /** Why it was skipped. */
  reason?: string
  error?: string
}

export interface ImportResult {
  source: string
  origin: string
  backend: string
  dryRun: boolean
  secrets: ImportedSecret[]
  /** The audit run id; null for a dry run. */
  runId: string | null
  ok: boolean
}

interface Planned {
  item: ImportItem
  name: string
  fingerprints: Record<string, string>
  /** Already in the state as this item: nothing to write. */
  recorded: boolean
  /** A manifest already declares it as the import would. */
  declared: boolean
  /** Not imported, and why (an object on the backend that secretctl already manages otherwise). */
  skipped?: string
}

export async function importSecrets(req: ImportRequest): Promise<ImportResult> {
  const backend = req.backend ?? DEFAULT_BACKEND
  const desired = await loadManifests(req.dir, environmentChoice(req))
  const outDir = path.resolve(req.dir, req.outDir ?? req.source.kind)
  const rel = path.relative(desired.dir, outDir)
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new UsageError(
      `--out ${req.outDir} is outside the manifests directory ${req.dir}`,
      'plan reads manifests only inside it: choose a directory under it',
    )
  }
  const prepared = {desired, values: new Map()}
  // A dry run creates no state: with none yet, it says so.
  return withWorkspace(
    {...req, concurrency: req.concurrency ?? DEFAULT_CONCURRENCY, stateAccess: req.dryRun ? 'read-or-empty' : 'create'},
    async (ws) => {
      await checkBackend(ws, backend)
      const source = await req.source.read({ws, backend})
      checkKeys(source)
      if (req.dryRun) return result(req, source, backend, await plan(ws, source, backend, outDir), null, 'would import')
      // Conflicts refuse the import before the lock is taken: a refused import leaves the state as it was.
      await plan(ws, source, backend, outDir)
      const lock = {command: `import ${source.kind}`, timeoutMs: req.lockTimeoutMs, env: req.env, onTakeover: req.onTakeover}
      return withStateLock(ws.state, lock, async () => {
        const planned = await plan(ws, source, backend, outDir)
        return write(ws, req, source, backend, outDir, planned)
      })
    },
    prepared,
  )
}

/** Key names must be valid secretctl key names: the source's own mapping makes them so; this is the check. */
function checkKeys(source: ImportSource): void {
  const pattern = new RegExp(KEY_NAME_PATTERN)
  const bad = source.items.flatMap((i) =>
    Object.keys(i.values)
      .filter((k) => !pattern.test(k))
      .map((k) => `${i.sourceName}: ${k}`),
  )
  if (bad.length)
    throw new UsageError(`invalid key names in the ${source.kind} import: ${bad.join(', ')}`, `a key name matches ${KEY_NAME_PATTERN}`)
}

/** The backend must be declared, applied, writable, and answering. */
async function checkBackend(ws: Workspace, backend: string): Promise<void> {
  if (backend !== DEFAULT_BACKEND && !ws.desired.backends.some((b) => b.name === backend)) {
    throw new UsageError(
      `backend ${backend} is not declared in the manifests`,
      `declare it (kind: SecretBackend, name: ${backend}) and apply, then import`,
    )
  }
  if (!(await ws.state.getBackend(backend))) {
    throw new UsageError(`backend ${backend} does not exist in the state yet`, 'apply the manifests first, then import')
  }
  const driver = await ws.drivers.get(backend)
  if (driver.capabilities.readOnly) throw new UsageError(`backend ${backend} is read-only: nothing can be imported to it`)
}

/** Names mapped and every conflict found, all at once; any conflict refuses the whole import. */
async function plan(ws: Workspace, source: ImportSource, backend: string, outDir: string): Promise<Planned[]> {
  const mapping = mapImportNames(source.items.filter((i) => i.name === undefined).map((i) => i.sourceName))
  const nameOf = (i: ImportItem) => i.name ?? (mapping.get(i.sourceName) as string)
  const live = new Map((await ws.state.listSecrets()).map((s) => [s.name, s]))
  const declared = new Map(ws.desired.secrets.map((s) => [s.name, s]))
  const conflicts: string[] = []
  const planned: Planned[] = []
  for (const item of [...source.items].sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : 1))) {
    const name = nameOf(item)
    const fingerprints = await valueFingerprints(ws.state, item.values)
    const row = live.get(name)
    const recorded = row !== undefined && sameImport(row, backend, fingerprints)
    const manifest = declared.get(name)
    const declaredHere = manifest !== undefined && declaresImport(manifest, item, ws, backend)
    const from = `${source.kind} ${JSON.stringify(item.sourceName)} → ${name}`
    const entry: Planned = {item, name, fingerprints, recorded, declared: declaredHere}
    if (item.placed && row?.backend === backend && !(recorded && (!manifest || declaredHere))) {
      // The very object on the backend, which secretctl already manages some other way: left alone.
      entry.skipped = manifest
        ? `already managed by secretctl as secret ${name} (${where(manifest)})`
        : `already in the state as secret ${name}, with other keys or values: run secretctl plan`
    } else if (row && !recorded)
      conflicts.push(`${from}: secret ${name} is already in the state, on backend ${row.backend}, with other keys or values`)
    else if (manifest && !declaredHere) conflicts.push(`${from}: secret ${name} is already declared at ${where(manifest)}`)
    else if (manifest && !recorded && !item.placed) {
      conflicts.push(`${from}: secret ${name} is already declared at ${where(manifest)}: apply it instead`)
    } else if (!manifest && existsSync(manifestPath(outDir, name))) {
      conflicts.push(`${from}: ${path.relative(ws.desired.dir, manifestPath(outDir, name))} already exists`)
    }
    planned.push(entry)
  }
  if (conflicts.length) {
    throw new UsageError(
      `${conflicts.length} of ${source.items.length} secrets cannot be imported; nothing was changed:\n  ${conflicts.join('\n  ')}`,
      'rename or remove the existing secret (or its manifest), or the one in the source, and import again',
    )
  }
  return planned
}

/** Whether a declared secret is what the import would write: on the backend, placement only, or taking its values from the same file. */
function declaresImport(m: SecretManifest, item: ImportItem, ws: Workspace, backend: string): boolean {
  if (placementOf(m, ws.desired) !== backend) return false
  if (item.envFile === undefined) return m.placementOnly
  return (
    m.fileSources.length === 1 && Object.keys(m.data).length === Object.keys(item.values).length && m.fileSources[0]?.path === item.envFile
  )
}

function sameImport(row: SecretRecord, backend: string, fingerprints: Record<string, string>): boolean {
  const keys = Object.keys(fingerprints).sort()
  return (
    row.backend === backend &&
    keys.join('\0') === Object.keys(row.keys).sort().join('\0') &&
    keys.every((k) => row.keys[k]!.fingerprint === fingerprints[k])
  )
}

function where(m: SecretManifest): string {
  return `${m.at.file}:${m.at.line}`
}

async function write(
  ws: Workspace,
  req: ImportRequest,
  source: ImportSource,
  backend: string,
  outDir: string,
  planned: Planned[],
): Promise<ImportResult> {
  const driver = await ws.drivers.get(backend)
  const todo = planned.filter((p) => !p.recorded && !p.skipped)
  if (todo.length) {
    // Before the backend is written: values the state cannot record would be drift.
    await assertMayRecord(ws.state, ['secret-put'], `${todo.length} imported secret${todo.length === 1 ? '' : 's'}`)
    const health = await driver.health()
    if (!health.ok) throw new BackendError(backend, `is unavailable: ${health.detail}`)
  }
  const runId = randomUUID()
  const actor = resolveActor(req.env)
  const at = new Date().toISOString()
  const errors = new Map<Planned, string>()
  const limit = pLimit(ws.concurrency)
  await Promise.all(
    todo.map((p) =>
      limit(async () => {
        const entry = {runId, actor, address: secretAddress(p.name), action: 'import'}
        const detail = `from ${source.kind} ${JSON.stringify(p.item.sourceName)} to backend ${backend}`
        try {
          const placed = p.item.placed
          const written = placed
            ? {externalRef: placed.externalRef, version: placed.claim ? await placed.claim(p.fingerprints) : placed.version, rowData: null}
            : await driver.write(p.name, p.item.values, driver.capabilities.versioned ? {ifVersion: null} : {})
          const keys: Record<string, KeyRecord> = {}
          for (const [key, fingerprint] of Object.entries(p.fingerprints)) {
            const cipherDigest = p.item.cipherDigests?.[key]
            keys[key] = {
              fingerprint,
              source: p.item.keySource ?? IMPORTED_SOURCE,
              writtenAt: at,
              ...(cipherDigest ? {cipherDigest} : {}),
              scan: await scanMarks(ws.state, key, p.item.values[key] as string),
            }
          }
          await ws.state.putSecret({
            name: p.name,
            backend,
            externalRef: written.externalRef,
            rowData: written.rowData,
            keys,
            backendVersion: written.version,
          })
          await ws.state.audit({...entry, outcome: 'applied', detail})
        } catch (err) {
          errors.set(p, describeError(err))
          await ws.state.audit({...entry, outcome: 'failed', detail: `${detail}: ${describeError(err)}`}).catch(() => {})
        }
      }),
    ),
  )
  if (todo.length > errors.size) await ws.state.bumpSerial()
  for (const p of planned) {
    if (errors.has(p) || p.declared || p.skipped) continue
    await writeImportedManifest(
      {name: p.name, backend, source: source.kind, sourceName: p.item.sourceName, origin: source.origin, envFile: p.item.envFile},
      outDir,
    )
  }
  return result(req, source, backend, planned, runId, 'imported', errors)
}

function result(
  req: ImportRequest,
  source: ImportSource,
  backend: string,
  planned: Planned[],
  runId: string | null,
  fresh: ImportStatus,
  errors = new Map<Planned, string>(),
): ImportResult {
  const outDir = path.resolve(req.dir, req.outDir ?? req.source.kind)
  const secrets = planned.map((p): ImportedSecret => {
    const error = errors.get(p)
    const status: ImportStatus = p.skipped ? 'skipped' : error ? 'failed' : p.recorded ? 'already imported' : fresh
    return {
      from: p.item.sourceName,
      name: p.name,
      keys: Object.keys(p.item.values).sort(),
      status,
      manifest: error || p.declared || p.skipped ? null : path.relative(path.resolve(req.dir), manifestPath(outDir, p.name)),
      ...(p.skipped ? {reason: p.skipped} : {}),
      ...(error ? {error} : {}),
    }
  })
  for (const s of source.skipped ?? [])
    secrets.push({from: s.sourceName, name: null, keys: [], status: 'skipped', manifest: null, reason: s.reason})
  return {source: source.kind, origin: source.origin, backend, dryRun: req.dryRun, secrets, runId, ok: errors.size === 0}
}
