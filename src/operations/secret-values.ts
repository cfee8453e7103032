/**
 * `secretctl secret set|get|list`: the imperative verbs for values that live nowhere else
 * (ToolHive's `thv secret set/get/list`). `set` writes one key of a placement-only secret to the
 * backend it is placed on and records its fingerprint, under the state lock and in the audit
 * table; `get --reveal` returns one value and audits that it did; `list` gives names and keys.
 * A value is never in a message, a log or the audit table.
 */
import {randomUUID} from 'node:crypto'
import {loadManifests} from '../manifests/load-manifests.js'
import {placementOf} from '../plan/compute-plan.js'
import {secretAddress} from '../plan/addresses.js'
import {DriverPool} from '../backends/driver-pool.js'
import {kindOf} from '../backends/registry.js'
import {readRecorded} from '../backends/secret-refs.js'
import {withStateLock} from '../workspace/with-state-lock.js'
import {environmentChoice, openStateFor, withExistingState} from '../workspace/environment-state.js'
import {resolveActor} from '../workspace/actor.js'
import {BackendError, UsageError} from '../errors.js'
import {assertMayRecord} from '../apply/state-writes.js'
import type {KeyRecord, SecretValues, StateStore} from '../state/types.js'
import type {StateRequest} from './inspect-state.js'
import {withScanMarks} from '../scan/scan-marks.js'
import type {LockInfo} from '../state/state-lock.js'

export interface SetSecretRequest extends StateRequest {
  name: string
  key: string
  /** From stdin or a hidden prompt (the command reads it), never argv. */
  value: string
  lockTimeoutMs: number
  onTakeover?: (previous: LockInfo) => void
}

export interface SetSecretResult {
  name: string
  key: string
  backend: string
  /** Whether the secret was new to the state. */
  created: boolean
  version: string | null
}

/** Writes one key of a placement-only secret where it lives (or is to live) and records it. */
export async function setSecretValue(req: SetSecretRequest): Promise<SetSecretResult> {
  if (req.value === '') throw new UsageError('no value given', 'pipe it on stdin, or type it at the prompt')
  const desired = await loadManifests(req.dir, environmentChoice(req))
  const secret = desired.secrets.find((s) => s.name === req.name)
  if (!secret)
    throw new UsageError(
      `secret ${req.name} is not declared in the manifests`,
      `declare it first: kind: Secret, name: ${req.name}, with no data`,
    )
  const source = secret.data[req.key]
  if (source) {
    throw new UsageError(
      `secret ${req.name} takes ${req.key} from its ${source.kind} source; secretctl writes it from there`,
      `change the source, or remove data.${req.key} to set it by hand`,
    )
  }
  if (!secret.placementOnly)
    throw new UsageError(`secret ${req.name} has data sources; secretctl writes its values from them`, `add ${req.key} to its data instead`)
  const placement = placementOf(secret, desired)
  const declaredType = desired.backends.find((b) => b.name === placement)?.type
  if (declaredType) refuseReadOnly(placement, declaredType)
  const state = await openStateFor(desired.config, desired.environment, {...req, stateAccess: 'create'})
  const drivers = new DriverPool(state, 1, req.env, {dir: req.dir, prompt: req.prompt})
  try {
    return await withStateLock(
      state,
      {command: `secret set ${req.name} ${req.key}`, timeoutMs: req.lockTimeoutMs, env: req.env, onTakeover: req.onTakeover},
      () => writeOneKey(state, drivers, req, placement),
    )
  } finally {
    await drivers.close()
    await state.close()
  }
}

async function writeOneKey(state: StateStore, drivers: DriverPool, req: SetSecretRequest, placement: string): Promise<SetSecretResult> {
  const row = await state.getSecret(req.name)
  const backendName = row?.backend ?? placement
  const backend = await state.getBackend(backendName)
  if (!backend) {
    throw new UsageError(
      `backend ${backendName} is not in the state yet`,
      `apply it first: secretctl apply --target backend.${backendName}`,
    )
  }
  const kind = refuseReadOnly(backendName, backend.type)
  // Before the backend is written: a value the state cannot record would be drift.
  await assertMayRecord(state, ['secret-put'], secretAddress(req.name))
  const driver = await drivers.get(backendName)
  // The other keys stay as they are: read, then written back with this one.
  const current = row ? await readRecorded(driver, row) : undefined
  const values: SecretValues = {...(current ?? {}), [req.key]: req.value}
  const ifVersion = !kind.capabilities.versioned ? undefined : current === undefined ? null : row?.backendVersion
  const written = await driver.write(req.name, values, {ifVersion}).catch((err: unknown) => {
    if (err instanceof BackendError && err.casMismatch)
      throw new BackendError(backendName, `secret ${req.name} changed there since it was recorded`, {
        hint: 'run secretctl plan to see the drift, then set it again',
      })
    throw err
  })
  const writtenAt = new Date().toISOString()
  const keys: Record<string, KeyRecord> = {}
  for (const key of Object.keys(values).sort()) {
    const fingerprint = await state.fingerprint(key, values[key] as string)
    const kept = row?.keys[key]
    const record: KeyRecord =
      key === req.key
        ? {fingerprint, source: 'set', writtenAt}
        : kept?.fingerprint === fingerprint
          ? kept
          : {fingerprint, source: 'external', writtenAt}
    keys[key] = await withScanMarks(state, key, values[key] as string, record)
  }
  await state.putSecret({
    name: req.name,
    backend: backendName,
    externalRef: written.externalRef,
    rowData: written.rowData,
    keys,
    backendVersion: written.version,
  })
  await state.bumpSerial()
  await state.audit({
    runId: randomUUID(),
    actor: resolveActor(req.env),
    address: secretAddress(req.name),
    action: 'set',
    outcome: 'applied',
    detail: `value of ${req.key} set on ${backendName} (secret set)`,
  })
  return {name: req.name, key: req.key, backend: backendName, created: !row, version: written.version}
}

/** The kind of a backend that `secret set` may write to; a read-only one is refused (ToolHive#621: a read-only provider offered `set`). */
function refuseReadOnly(backend: string, type: string) {
  const kind = kindOf(type, backend)
  if (kind.capabilities.readOnly) {
    throw new UsageError(`backend ${backend} is read-only: secretctl never writes to it`, `set the value in the ${type} backend itself`)
  }
  return kind
}

export interface GetSecretRequest extends StateRequest {
  name: string
  key: string
  reveal: boolean
}

/** One value, read through the state and the backend the secret lives on; refused without `reveal`; audited. */
export async function revealSecretValue(req: GetSecretRequest): Promise<string> {
  if (!req.reveal)
    throw new UsageError('secret get prints a secret value', `add --reveal: secretctl secret get ${req.name} ${req.key} --reveal`)
  // Written to: the reveal is audited before the value is returned.
  return withExistingState({...req, stateAccess: 'write'}, async (state) => {
    const row = await state.getSecret(req.name)
    if (!row) throw new UsageError(`no secret named ${req.name} in the state`, 'list them with `secretctl secret list`')
    if (!(req.key in row.keys))
      throw new UsageError(`secret ${req.name} has no key ${req.key}`, `its keys: ${Object.keys(row.keys).sort().join(', ')}`)
    const drivers = new DriverPool(state, 1, req.env, {dir: req.dir, prompt: req.prompt})
    let value: string | undefined
    try {
      value = (await readRecorded(await drivers.get(row.backend), row))?.[req.key]
    } finally {
      await drivers.close()
    }
    if (value === undefined)
      throw new BackendError(row.backend, `holds no value for ${req.key} of secret ${req.name} (drift)`, {
        hint: 'run `secretctl plan` to see the drift',
      })
    // Revealed only once the audit row is in.
    await state.audit({
      runId: randomUUID(),
      actor: resolveActor(req.env),
      address: secretAddress(req.name),
      action: 'reveal',
      outcome: 'applied',
      detail: `value of ${req.key} printed (secret get --reveal)`,
    })
    return value
  })
}

export interface SecretKeys {
  name: string
  backend: string
  keys: string[]
}

/** Every secret the state records: its name, backend and key names. */
export async function listSecretKeys(req: StateRequest): Promise<SecretKeys[]> {
  return withExistingState(req, async (state) =>
    (await state.listSecrets()).map((s) => ({name: s.name, backend: s.backend, keys: Object.keys(s.keys).sort()})),
  )
}
