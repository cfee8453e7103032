/**
 * `secretctl import <source>`: what every import shares, whatever system the values come from
 * (a ToolHive file, a backend's listing, a dotenv file). A source hands over
 * items (its name for each secret, and the values); this module
 *   - maps the names to valid secretctl names (import-names.ts), the mapping part of the result;
 *   - refuses, changing nothing, a name that is already a different secret in the manifests or the
 *     state, or whose manifest file exists; an item already imported (same backend, same values)
 *     is skipped, so a re-run after an interruption finishes the job;
 *   - under the state lock, writes each value to the backend (check-and-set "absent" where the kind
 *     is versioned: an import never overwrites) or, for an item already on it, writes nothing, and
 *     records the secret in the state with its fingerprints; every secret is audited;
 *   - writes a placement-only Secret manifest per secret (imported-manifests.ts),
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
import {DEFAULT_CONCURRENCY, environmentChoice, type Workspace, withWorkspace} from '../workspace/workspace.js'
import type {LockInfo} from '../state/state-lock.js'
import {mapImportNames} from './import-names.js'
import {manifestPath, writeImportedManifest} from './imported-manifests.js'

/** How the state records an imported key's source: a value secretctl did not produce (placement only). */
export const IMPORTED_SOURCE = 'external'

export interface ImportItem {
  /** The secret's name in the source system, as the mapping shows it. */
  sourceName: string
  values: SecretValues
  /** Already on the destination backend (an import that adopts values where they are): recorded as is, not written. */
  placed?: {externalRef: string | null; version: string | null}
}

/** What a source read. */
export interface ImportSource {
  /** `toolhive`, …: the command's source word, in the audit, the output and the manifests. */
  kind: string
  /** Where the items came from: a file path, a URL, a namespace. */
  origin: string
  items: ImportItem[]
}

/** A source to read once the manifests and the backend have passed their checks (so bad input fails before any password is asked). */
export interface ImportSourceReader {
  kind: string
  read(): Promise<ImportSource>
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

export type ImportStatus = 'imported' | 'would import' | 'already imported' | 'failed'

export interface ImportedSecret {
  from: string
  name: string
  keys: string[]
  status: ImportStatus
  /** The manifest written for it (relative to the manifests directory), or null when one already declares it. */
  manifest: string | null
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
  /** A manifest already declares it placement-only on the backend. */
  declared: boolean
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
      const source = await req.source.read()
      checkKeys(source)
      if (req.dryRun) return result(req, source, backend, await plan(ws, source, backend, outDir), null, 'would import')
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
  const mapping = mapImportNames(source.items.map((i) => i.sourceName))
  const live = new Map((await ws.state.listSecrets()).map((s) => [s.name, s]))
  const declared = new Map(ws.desired.secrets.map((s) => [s.name, s]))
  const conflicts: string[] = []
  const planned: Planned[] = []
  for (const item of [...source.items].sort((a, b) => (mapping.get(a.sourceName)! < mapping.get(b.sourceName)! ? -1 : 1))) {
    const name = mapping.get(item.sourceName)!
    const fingerprints = await valueFingerprints(ws.state, item.values)
    const row = live.get(name)
    const recorded = row !== undefined && sameImport(row, backend, fingerprints)
    const manifest = declared.get(name)
    const declaredHere = manifest?.placementOnly === true && placementOf(manifest, ws.desired) === backend
    const from = `${source.kind} ${JSON.stringify(item.sourceName)} → ${name}`
    if (row && !recorded)
      conflicts.push(`${from}: secret ${name} is already in the state, on backend ${row.backend}, with other keys or values`)
    else if (manifest && !(declaredHere && recorded)) conflicts.push(`${from}: secret ${name} is already declared at ${where(manifest)}`)
    else if (!manifest && existsSync(manifestPath(outDir, name))) {
      conflicts.push(`${from}: ${path.relative(ws.desired.dir, manifestPath(outDir, name))} already exists`)
    }
    planned.push({item, name, fingerprints, recorded, declared: declaredHere})
  }
  if (conflicts.length) {
    throw new UsageError(
      `${conflicts.length} of ${source.items.length} secrets cannot be imported; nothing was changed:\n  ${conflicts.join('\n  ')}`,
      'rename or remove the existing secret (or its manifest), or the one in the source, and import again',
    )
  }
  return planned
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
  const todo = planned.filter((p) => !p.recorded)
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
          const written = p.item.placed
            ? {...p.item.placed, rowData: null}
            : await driver.write(p.name, p.item.values, driver.capabilities.versioned ? {ifVersion: null} : {})
          const keys: Record<string, KeyRecord> = {}
          for (const [key, fingerprint] of Object.entries(p.fingerprints)) keys[key] = {fingerprint, source: IMPORTED_SOURCE, writtenAt: at}
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
    if (errors.has(p) || p.declared) continue
    await writeImportedManifest({name: p.name, backend, source: source.kind, sourceName: p.item.sourceName, origin: source.origin}, outDir)
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
    return {
      from: p.item.sourceName,
      name: p.name,
      keys: Object.keys(p.item.values).sort(),
      status: error ? 'failed' : p.recorded ? 'already imported' : fresh,
      manifest: error || p.declared ? null : path.relative(path.resolve(req.dir), manifestPath(outDir, p.name)),
      ...(error ? {error} : {}),
    }
  })
  return {source: source.kind, origin: source.origin, backend, dryRun: req.dryRun, secrets, runId, ok: errors.size === 0}
}
