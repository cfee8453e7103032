/**
 * `secretctl env list` (each environment, its state, backends, secrets and last apply) and
 * `secretctl diff --env A --env B` (what one environment has that the other lacks, and the keys
 * whose values differ — compared by keyed digests in memory, never shown, never stored).
 */
import {createHmac, randomBytes} from 'node:crypto'
import {MissingStateError, ManifestErrors, UsageError} from '../errors.js'
import {selectEnvironment} from '../environments/environment.js'
import {loadManifests} from '../manifests/load-manifests.js'
import {readProjectConfig} from '../manifests/project-config.js'
import {openState} from '../state/open-state.js'
import {redactUrl} from '../state/redact-url.js'
import {withWorkspace, type Workspace} from '../workspace/workspace.js'
import {stateUrlFor} from '../workspace/environment-state.js'

export interface EnvironmentRow {
  name: string
  default: boolean
  /** Where its state is (password masked). */
  state: string
  /** Backends its manifests declare (besides `default`); null when they do not load. */
  backends: number | null
  /** Secrets its state records; null when there is no state yet. */
  secrets: number | null
  /** When the last apply was recorded; null when none. */
  lastApply: string | null
  /** Why a count is missing: the manifests' problems, or no state yet. */
  note?: string
}

export async function listEnvironments(req: {dir: string; state?: string; env: NodeJS.ProcessEnv}): Promise<EnvironmentRow[]> {
  const config = await readProjectConfig(req.dir)
  const names = Object.keys(config.environments ?? {})
  if (!names.length)
    throw new UsageError(
      `${config.file ?? 'secretctl.yaml'} declares no environments`,
      'declare them under environments: in secretctl.yaml',
    )
  const rows: EnvironmentRow[] = []
  for (const name of names) {
    const environment = selectEnvironment(config, {flag: name})
    const url = stateUrlFor(config, environment, req)
    const row: EnvironmentRow = {
      name,
      default: config.defaultEnvironment === name,
      state: redactUrl(url),
      backends: null,
      secrets: null,
      lastApply: null,
    }
    try {
      row.backends = (await loadManifests(req.dir, {flag: name})).backends.length
    } catch (err) {
      if (!(err instanceof ManifestErrors)) throw err
      row.note = `manifests: ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'} (secretctl validate --env ${name})`
    }
    try {
      const state = await openState({url, dir: req.dir, access: 'read'})
      try {
        row.state = state.location
        row.secrets = (await state.listSecrets()).length
        row.lastApply = (await state.listAudit({limit: 1}))[0]?.at ?? null
      } finally {
        await state.close()
      }
    } catch (err) {
      if (!(err instanceof MissingStateError)) throw err
      row.note ??= 'no state yet'
    }
    rows.push(row)
  }
  return rows
}

export interface EnvironmentDiff {
  environments: [string, string]
  /** Secrets only one of the two has. */
  onlyIn: Record<string, string[]>
  /** Secrets both have, with the keys only one has, and the keys whose values differ. */
  secrets: Array<{name: string; onlyIn: Record<string, string[]>; differ: string[]}>
  same: boolean
}

/** One environment's values, as keyed digests: secret → key → HMAC(run key, value); null when not readable. */
type Digests = Map<string, Map<string, string | null>>

export async function diffEnvironments(req: {
  dir: string
  state?: string
  env: NodeJS.ProcessEnv
  environments: string[]
}): Promise<EnvironmentDiff> {
  const [a, b] = req.environments
  if (req.environments.length !== 2 || a === undefined || b === undefined || a === b) {
    throw new UsageError('give two different environments: --env A --env B', 'e.g. secretctl diff --env staging --env production')
  }
  // A key for this run only: the digests are comparable with each other, and useless after.
  const runKey = randomBytes(32)
  const digestsOf = (environment: string) =>
    withWorkspace({...req, environment, stateAccess: 'read-or-empty'}, (ws) => valueDigests(ws, runKey))
  const [da, db] = [await digestsOf(a), await digestsOf(b)]
  const names = [...new Set([...da.keys(), ...db.keys()])].sort()
  const diff: EnvironmentDiff = {environments: [a, b], onlyIn: {[a]: [], [b]: []}, secrets: [], same: true}
  for (const name of names) {
    const ka = da.get(name)
    const kb = db.get(name)
    if (!ka || !kb) {
      diff.onlyIn[ka ? a : b]?.push(name)
      continue
    }
    const keys = [...new Set([...ka.keys(), ...kb.keys()])].sort()
    const entry = {
      name,
      onlyIn: {[a]: keys.filter((k) => !kb.has(k)), [b]: keys.filter((k) => !ka.has(k))},
      differ: keys.filter((k) => ka.has(k) && kb.has(k) && (ka.get(k) === null || ka.get(k) !== kb.get(k))),
    }
    if (entry.onlyIn[a]?.length || entry.onlyIn[b]?.length || entry.differ.length) diff.secrets.push(entry)
  }
  diff.same = !diff.secrets.length && !diff.onlyIn[a]?.length && !diff.onlyIn[b]?.length
  return diff
}

/** The digests of every value an environment would hold: from its sources, else as stored on its backend. */
async function valueDigests(ws: Workspace, runKey: Buffer): Promise<Digests> {
  const digest = (value: string) => createHmac('sha256', runKey).update(value, 'utf8').digest('hex')
  const out: Digests = new Map()
  const rows = new Map((await ws.state.listSecrets()).map((s) => [s.name, s]))
  for (const secret of ws.desired.secrets) {
    const keys = new Map<string, string | null>()
    const resolved = ws.values.get(secret.name)
    const row = rows.get(secret.name)
    // Generated and placement-only values exist only where they are stored.
    const stored = row ? await (await ws.drivers.get(row.backend)).read(secret.name) : undefined
    const names = resolved ? [...resolved.keys()] : Object.keys(row?.keys ?? {})
    for (const key of names) {
      const value = resolved?.get(key)?.value ?? stored?.[key]
      keys.set(key, value === undefined ? null : digest(value))
    }
    out.set(secret.name, keys)
  }
  return out
}
