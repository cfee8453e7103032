/**
 * A secret's create, update or move, in named steps: read what is stored now (when it is needed),
 * assemble the values to write, write them to the destination (check-and-set where the kind is
 * versioned), flip the state row in one transaction (recording the copy left on the source), and
 * delete the source. Interrupted anywhere, the row names a backend holding a good copy; a copy
 * still to delete is recorded, so the next plan finishes the job.
 */
import type {SecretMove, SecretUpdate, SecretWriteChange} from '../plan/types.js'
import type {KeyRecord, SecretRecord, SecretValues} from '../state/types.js'
import type {BackendDriver, WriteResult} from '../backends/driver.js'
import {BackendError, PlanError} from '../errors.js'
import {generateFor, type ResolvedValue} from '../sources/resolve-values.js'
import {secretAddress} from '../plan/addresses.js'
import {describeError} from './describe-error.js'
import {readRecorded, withoutRefs} from '../backends/secret-refs.js'
import type {ApplyContext} from './apply-plan.js'
import {withScanMarks} from '../scan/scan-marks.js'

/** The change's row as its phase reads them (phase-rows.ts), when it does; undefined: read the row alone. */
export type LiveRow = (() => Promise<SecretRecord | undefined>) | undefined

/** The change's secret row, through its phase's rows or alone. */
export function liveRow(name: string, ctx: Pick<ApplyContext, 'state'>, row: LiveRow): Promise<SecretRecord | undefined> {
  return row ? row() : ctx.state.getSecret(name)
}

interface Placement {
  name: string
  live: SecretRecord | undefined
  dest: BackendDriver
  /** Where the secret is now, for a move (and for reading what it holds). */
  source: BackendDriver | undefined
  resolved: ReadonlyMap<string, ResolvedValue> | undefined
}

export async function writeSecret(c: SecretWriteChange, ctx: ApplyContext, now: () => Date, row: LiveRow): Promise<string[]> {
  if (c.action === 'update' && c.digestsOnly) return recordCiphertexts(c, ctx, row)
  const live = await liveRow(c.name, ctx, row)
  const dest = await ctx.drivers.get(c.after.backend)
  const source = live ? (live.backend === dest.name ? dest : await ctx.drivers.get(live.backend)) : undefined
  const p: Placement = {name: c.name, live, dest, source, resolved: ctx.values.get(c.name)}
  const warnings: string[] = []
  const current = await readCurrent(c, p)
  const {values, keys} = await assembleValues(c, p, current, ctx, now().toISOString(), warnings)
  const written = await writeToDestination(c, p, values)
  const move = c.action === 'move' ? c : undefined
  await flipRow(p, written, keys, move, ctx)
  if (move) warnings.push(...(await deleteSource(p, move, ctx)))
  return warnings
}

/** What the secret holds now: needed to move it, to keep generated keys, and for placement-only secrets. */
async function readCurrent(c: SecretWriteChange, p: Placement): Promise<SecretValues | undefined> {
  if (!p.live || !p.source) return undefined
  const keepsGenerated = [...(p.resolved?.entries() ?? [])].some(([k, v]) => v.spec !== undefined && c.keys?.[k] !== 'regenerated')
  if (c.action !== 'move' && p.resolved && !keepsGenerated) return undefined
  const current = await readRecorded(p.source, p.live)
  if (current) return current
  const address = secretAddress(p.name)
  throw new BackendError(p.live.backend, `holds no value for ${p.name}, although the state says it should (drift)`, {
    hint: p.resolved
      ? `plan again: the plan then writes it again from its sources`
      : `restore it with \`secretctl secret set ${p.name} KEY\`, or forget it with \`secretctl state rm ${address}\``,
  })
}

/** The values to write and what the state records of each key: sourced values as read, generated ones kept or made anew. */
async function assembleValues(
  c: SecretWriteChange,
  p: Placement,
  current: SecretValues | undefined,
  ctx: ApplyContext,
  writtenAt: string,
  warnings: string[],
): Promise<{values: SecretValues; keys: Record<string, KeyRecord>}> {
  if (!p.resolved) {
    if (!current || !p.live) throw new BackendError(p.dest.name, `no value to write for ${p.name}`)
    const keys = withoutRefs(p.live.keys)
    for (const key of Object.keys(keys)) {
      const value = current[key]
      if (value !== undefined) keys[key] = await withScanMarks(ctx.state, key, value, keys[key] as KeyRecord)
    }
    return {values: current, keys}
  }
  const values: SecretValues = {}
  const keys: Record<string, KeyRecord> = {}
  for (const key of [...p.resolved.keys()].sort()) {
    const rv = p.resolved.get(key) as ResolvedValue
    const kept = p.live?.keys[key]
    if (rv.unknown) throw unknownValue(p.name, key, rv.unknown.file)
    if (rv.spec !== undefined) {
      const stored = c.keys?.[key] !== 'regenerated' ? current?.[key] : undefined
      // A generated value changed outside secretctl since it was written: made anew, never kept.
      const tampered = stored !== undefined && kept !== undefined && (await ctx.state.fingerprint(key, stored)) !== kept.fingerprint
      if (tampered) warnings.push(`generated ${key} had been changed outside secretctl: generated anew`)
      if (stored !== undefined && kept && !tampered) {
        values[key] = stored
        keys[key] = await withScanMarks(ctx.state, key, stored, kept)
      } else {
        values[key] = generateFor(rv)
        keys[key] = await withScanMarks(ctx.state, key, values[key], {
          fingerprint: await ctx.state.fingerprint(key, values[key]),
          source: rv.source,
          writtenAt,
        })
      }
    } else {
      values[key] = rv.value
      keys[key] = await sourcedKeyRecord(key, rv.value, rv.cipherDigest, kept, rv.source, ctx, writtenAt)
    }
  }
  // Written by name: refs recorded for a read-only source mean nothing here.
  return {values, keys: withoutRefs(keys)}
}

/** What the state records of a sourced key: kept as it was while the value is the same, with the digest of its ciphertext now. */
async function sourcedKeyRecord(
  key: string,
  value: string,
  cipherDigest: string | undefined,
  kept: KeyRecord | undefined,
  source: string,
  ctx: ApplyContext,
  writtenAt: string,
): Promise<KeyRecord> {
  const fingerprint = await ctx.state.fingerprint(key, value)
  const {cipherDigest: _old, ...record} = kept && kept.fingerprint === fingerprint ? kept : {fingerprint, source, writtenAt}
  const marked = await withScanMarks(ctx.state, key, value, record)
  return cipherDigest === undefined ? marked : {...marked, cipherDigest}
}

function unknownValue(secret: string, key: string, file: string): PlanError {
  return new PlanError(
    `cannot write ${secret}: the value of ${key} could not be decrypted here (${file})`,
    'apply where the keys are: an unknown value is never written',
  )
}

/**
 * A secret whose values are as recorded but whose ciphertexts changed (re-encrypted to new
 * recipients or a new data key): the state records the new digests; nothing is written to the backend.
 */
async function recordCiphertexts(c: SecretUpdate, ctx: ApplyContext, row: LiveRow): Promise<string[]> {
  const live = await liveRow(c.name, ctx, row)
  const resolved = ctx.values.get(c.name)
  if (!live || !resolved) throw new PlanError(`${c.name} is no longer as planned: plan again`)
  const keys: Record<string, KeyRecord> = {...live.keys}
  for (const [key, rv] of resolved) {
    const kept = live.keys[key]
    if (rv.unknown) throw unknownValue(c.name, key, rv.unknown.file)
    if (rv.value === undefined || !kept) continue
    const record = await sourcedKeyRecord(key, rv.value, rv.cipherDigest, kept, rv.source, ctx, kept.writtenAt)
    if (record.fingerprint !== kept.fingerprint)
      throw new PlanError(`the value of ${c.name} key ${key} changed since the plan was made: plan again`)
    keys[key] = record
  }
  await ctx.state.recordKeys(c.name, keys)
  return []
}

/** Writes to the destination; on a versioned kind with check-and-set against the version the state knows. */
async function writeToDestination(c: SecretWriteChange, p: Placement, values: SecretValues): Promise<WriteResult> {
  const {dest, live} = p
  if (dest.capabilities.readOnly) throw new BackendError(dest.name, `is read-only: secretctl never writes ${p.name} there`)
  let ifVersion: string | null | undefined
  if (dest.capabilities.versioned) {
    if (c.action === 'update' && live && live.backendVersion !== null && !c.drift) ifVersion = live.backendVersion
    else if (c.drift) ifVersion = await versionOn(dest, p.name)
    else ifVersion = null // a create or a move: normally nothing is there yet
  }
  const adopt = c.adopt === true
  try {
    return await dest.write(p.name, values, {ifVersion, adopt})
  } catch (err) {
    // A create or a move found a copy at the destination (an interrupted run's): it is replaced
    // at the version it holds. One request more, only then; the usual first write needs none.
    // (A kind that marks ownership refuses, in its write, an object it did not create unless adopted.)
    if (!(ifVersion === null && !c.drift && err instanceof BackendError && err.casMismatch)) throw err
    return dest.write(p.name, values, {ifVersion: await versionOn(dest, p.name), adopt})
  }
}

/**
 * The row names the destination from here on, in one transaction; a move records the copy on its
 * source: kept (keepSource) or still to delete (pending), unless the source kept its values in the
 * row itself, which this transaction clears.
 */
async function flipRow(
  p: Placement,
  written: WriteResult,
  keys: Record<string, KeyRecord>,
  move: SecretMove | undefined,
  ctx: ApplyContext,
): Promise<void> {
  const from = move && p.live && p.source ? {live: p.live, driver: p.source} : undefined
  const inState = from?.driver.capabilities.storesInState ?? false
  const retainOn =
    from && (move?.keepSource || !inState)
      ? {
          backend: from.live.backend,
          externalRef: from.live.externalRef,
          // The row's data as stored (a kind may keep it encrypted), not the values read through the driver.
          rowData: inState ? await ctx.state.readRowData(p.name, from.live.backend) : null,
          pending: !move?.keepSource,
        }
      : undefined
  await ctx.state.putSecret({
    name: p.name,
    backend: p.dest.name,
    externalRef: written.externalRef,
    rowData: written.rowData,
    keys,
    backendVersion: written.version,
    ...(retainOn ? {retainOn} : {}),
  })
}

/** After the flip: the source copy goes, and with it the record that it was still to delete. */
async function deleteSource(p: Placement, move: SecretMove, ctx: ApplyContext): Promise<string[]> {
  const source = p.source
  // A kind that stores values in the state lost them in the flip's transaction: nothing is left there.
  if (move.keepSource || !source || source.capabilities.storesInState) return []
  try {
    await source.delete(p.name)
    await ctx.state.deleteRetainedCopy(p.name, source.name)
  } catch (err) {
    return [`moved, but the copy on ${source.name} could not be deleted (the next plan deletes it): ${describeError(err)}`]
  }
  return []
}

/** The version a check-and-set write must name to replace what the backend holds (null: nothing). */
async function versionOn(driver: BackendDriver, name: string): Promise<string | null> {
  const meta = await driver.metadata(name)
  return meta.exists ? meta.version : null
}
