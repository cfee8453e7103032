/**
 * `secretctl state list` and `secretctl state rm ADDRESS...`, as Terraform has them: the records
 * the state holds, by address, and forgetting some of them without touching any backend (a
 * backend that keeps its values in the state's own rows loses them with the row: the question
 * says so). A
 * secret deleted outside secretctl (or one a person wants secretctl to stop managing) is
 * forgotten, and the next plan treats it as new: a create, from its sources. Removal takes the
 * state lock, asks first (the command layer's question; `--force` in scripts), bumps the serial
 * (a plan saved before no longer applies) and is recorded in history.
 */
import {randomUUID} from 'node:crypto'
import {withExistingState} from '../workspace/environment-state.js'
import {withStateLock} from '../workspace/with-state-lock.js'
import {resolveActor} from '../workspace/actor.js'
import {backendAddress, secretAddress} from '../plan/addresses.js'
import {DEFAULT_BACKEND} from '../backends/trust-root.js'
import {UsageError} from '../errors.js'
import {assertMayRecord} from '../apply/state-writes.js'
import type {StateStore, StateWrite} from '../state/types.js'
import type {LockInfo} from '../state/state-lock.js'
import {hasRetainedCopies} from '../state/retained-copy-store.js'
import type {StateRequest} from './inspect-state.js'

/** One record of the state, by address; never a value. */
export type StateRecordEntry =
  | {address: string; kind: 'backend'; name: string; type: string; default: boolean}
  | {address: string; kind: 'secret'; name: string; backend: string; keys: string[]}
  /** A copy a move left on another backend: kept (`keepSource`), or still to delete (`pending`). */
  | {address: string; kind: 'copy'; name: string; backend: string; pending: boolean}

/** `secret.NAME@BACKEND`: the copy of secret NAME left on BACKEND (`@` is in no name). */
export function copyAddress(secret: string, backend: string): string {
  return `${secretAddress(secret)}@${backend}`
}

async function readRecords(state: StateStore): Promise<StateRecordEntry[]> {
  const [backends, secrets, copies] = await Promise.all([state.listBackends(), state.listSecrets(), state.listRetainedCopies()])
  return [
    ...backends.map((b) => ({address: backendAddress(b.name), kind: 'backend' as const, name: b.name, type: b.type, default: b.isDefault})),
    ...secrets.map((s) => ({
      address: secretAddress(s.name),
      kind: 'secret' as const,
      name: s.name,
      backend: s.backend,
      keys: Object.keys(s.keys),
    })),
    ...copies.map((c) => ({
      address: copyAddress(c.secretName, c.backend),
      kind: 'copy' as const,
      name: c.secretName,
      backend: c.backend,
      pending: c.pending,
    })),
  ].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))
}

/** `secretctl state list`: every record, sorted by address. */
export function listStateRecords(req: StateRequest): Promise<StateRecordEntry[]> {
  return withExistingState(req, readRecords)
}

export interface RemoveRequest extends StateRequest {
  addresses: string[]
  lockTimeoutMs: number
  onTakeover?: (previous: LockInfo) => void
  /** Asked before anything is forgotten (absent with --force); false keeps everything. */
  confirm?: (records: StateRecordEntry[], question: string) => Promise<boolean>
}

export interface RemoveResult {
  /** What was forgotten (empty when the question was answered no). */
  removed: StateRecordEntry[]
  /** Copies of removed secrets that stay recorded (they are real copies; name them to forget them too). */
  copiesKept: string[]
  /** Addresses whose values were kept in the state's own row (a plaintext backend): forgetting them deleted them. */
  valuesDeleted: string[]
  serial: number | null
}

/**
 * `secretctl state rm ADDRESS...`: forgets secrets, retained copies and backends with nothing
 * left on them, all or none (every address is checked first), touching no backend.
 */
export function removeStateRecords(req: RemoveRequest): Promise<RemoveResult> {
  if (!req.addresses.length)
    throw new UsageError('no address given', 'name what to forget, e.g. secret.github (see `secretctl state list`)')
  return withExistingState({...req, stateAccess: 'write'}, (state) => {
    const lock = {command: `state rm ${req.addresses.join(' ')}`, timeoutMs: req.lockTimeoutMs, env: req.env, onTakeover: req.onTakeover}
    return withStateLock(state, lock, async () => {
      const records = await readRecords(state)
      const chosen = selectRecords(records, req.addresses)
      await assertMayForget(state, chosen)
      const removing = new Set(chosen.map((r) => r.address))
      const copiesKept = records
        .filter((r) => r.kind === 'copy' && !removing.has(r.address) && chosen.some((c) => c.kind === 'secret' && c.name === r.name))
        .map((r) => r.address)
      const valuesInState = await heldInState(state, chosen)
      if (req.confirm && !(await req.confirm(chosen, question(chosen, copiesKept, valuesInState)))) {
        return {removed: [], copiesKept, valuesDeleted: [], serial: null}
      }
      const runId = randomUUID()
      const actor = resolveActor(req.env)
      // Secrets and copies first: a backend's row goes only once nothing on it is recorded.
      for (const r of chosen) {
        if (r.kind === 'secret') await state.deleteSecret(r.name)
        if (r.kind === 'copy') await state.deleteRetainedCopy(r.name, r.backend)
      }
      for (const r of chosen) if (r.kind === 'backend') await state.deleteBackend(r.name)
      const serial = await state.bumpSerial()
      for (const r of chosen) {
        await state.audit({runId, actor, address: r.address, action: 'forget', outcome: 'applied', detail: forgotten(r, valuesInState)})
      }
      return {removed: chosen, copiesKept, valuesDeleted: valuesInState, serial}
    })
  })
}

/** The records the addresses name, each once; every address must name one, and a backend must have nothing left on it. */
function selectRecords(records: StateRecordEntry[], addresses: string[]): StateRecordEntry[] {
  const byAddress = new Map(records.map((r) => [r.address, r]))
  const unknown = [...new Set(addresses)].filter((a) => !byAddress.has(a))
  if (unknown.length) {
    throw new UsageError(
      `the state has no ${unknown.join(', ')}; nothing was removed`,
      'addresses are backend.NAME, secret.NAME and secret.NAME@BACKEND (a copy left by a move): `secretctl state list` lists them',
    )
  }
  const chosen = records.filter((r) => addresses.includes(r.address))
  const removing = new Set(chosen.map((r) => r.address))
  const problems: string[] = []
  for (const b of chosen) {
    if (b.kind !== 'backend') continue
    if (b.name === DEFAULT_BACKEND) problems.push(`backend ${DEFAULT_BACKEND} is the trust root and is never forgotten`)
    else if (b.default)
      problems.push(`backend ${b.name} is the default backend (make another one the default first: isDefault: true, and apply)`)
    const left = records.filter((r) => r.kind !== 'backend' && r.backend === b.name && !removing.has(r.address)).map((r) => r.address)
    if (left.length) {
      const shown = left.slice(0, 5).join(', ') + (left.length > 5 ? `, and ${left.length - 5} more` : '')
      problems.push(`backend ${b.name} still has records on it: ${shown} (forget or move them first, or name them too)`)
    }
  }
  if (problems.length) throw new UsageError(`${problems.join('; ')}; nothing was removed`)
  return chosen
}

/** The writes a removal makes, checked before the first, so that a role that may not make them all changes nothing. */
function assertMayForget(state: StateStore, chosen: StateRecordEntry[]): Promise<void> {
  const kinds: Record<StateRecordEntry['kind'], StateWrite> = {secret: 'secret-delete', copy: 'copy-delete', backend: 'backend-delete'}
  return assertMayRecord(state, [...new Set(chosen.map((r) => kinds[r.kind]))], `forgetting ${chosen.map((r) => r.address).join(', ')}`)
}

function where(r: StateRecordEntry): string {
  if (r.kind === 'backend') return `${r.type} backend ${r.name}`
  if (r.kind === 'secret') return `secret ${r.name} on ${r.backend} (${r.keys.length} key${r.keys.length === 1 ? '' : 's'})`
  return `the copy of secret ${r.name} on ${r.backend}${r.pending ? ' (still to be deleted by a move)' : ''}`
}

function forgotten(r: StateRecordEntry, valuesInState: string[]): string {
  if (valuesInState.includes(r.address)) return `state rm: forgot ${where(r)}, with the values the state held for it`
  return `state rm: forgot ${where(r)}; nothing was deleted on ${r.kind === 'backend' ? 'it' : r.backend}`
}

/** The chosen secrets and copies whose values the state itself holds (a backend that keeps values in the state): forgetting them deletes them. */
async function heldInState(state: StateStore, chosen: StateRecordEntry[]): Promise<string[]> {
  const held: string[] = []
  for (const r of chosen) {
    if (r.kind === 'secret' && (await state.readRowData(r.name, r.backend))) held.push(r.address)
    if (r.kind === 'copy' && hasRetainedCopies(state) && (await state.readRetainedData(r.name, r.backend))) held.push(r.address)
  }
  return held
}

function question(chosen: StateRecordEntry[], copiesKept: string[], valuesInState: string[]): string {
  const lines = [
    'secretctl will forget, touching no backend (what they hold stays there, unmanaged):',
    ...chosen.map((r) => `  ${r.address}: ${where(r)}`),
  ]
  if (copiesKept.length) lines.push(`Copies stay recorded: ${copiesKept.join(', ')} (name them to forget them too).`)
  if (valuesInState.length)
    lines.push(
      `The values of ${valuesInState.join(', ')} are kept in the state itself (their backend stores values there): forgetting deletes them.`,
    )
  lines.push('A secret still in the manifests is planned as new by the next plan. Remove these records? Only "yes" is accepted: ')
  return lines.join('\n')
}
