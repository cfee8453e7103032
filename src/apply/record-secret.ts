/**
 * A secret on a read-only backend is recorded, never written: its metadata is read first (the
 * version), then its values, only to fingerprint each key; the values are dropped. Reading the
 * version before the values errs on the safe side: should the copy change in between, the
 * recorded version is the older one and the next plan sees the drift and records again.
 */
import type {SecretCreate, SecretUpdate} from '../plan/types.js'
import type {KeyRecord, SecretRecord} from '../state/types.js'
import {BackendError} from '../errors.js'
import type {ApplyContext} from './apply-plan.js'
import {withScanMarks} from '../scan/scan-marks.js'

/** Where the kind's convention applies (`refs` absent) the whole secret is read as the kind finds it. */
export async function recordSecret(
  c: SecretCreate | SecretUpdate,
  ctx: ApplyContext,
  now: () => Date,
  live: SecretRecord | undefined,
): Promise<string[]> {
  const driver = await ctx.drivers.get(c.after.backend)
  const refs = ctx.desired.secrets.find((s) => s.name === c.name)?.refs
  const meta = await driver.metadata(c.name, refs)
  const values = meta.exists ? await driver.read(c.name, refs) : undefined
  if (!values) {
    throw new BackendError(driver.name, `holds no secret ${c.name}${refs ? ` at the refs its manifest gives` : ''}`, {
      hint: `create it there first (${driver.name} is read-only: secretctl only reads it), or fix the secret's refs`,
    })
  }
  const writtenAt = now().toISOString()
  const keys: Record<string, KeyRecord> = {}
  for (const key of Object.keys(values).sort()) {
    const fingerprint = await ctx.state.fingerprint(key, values[key] as string)
    const ref = refs?.[key] ?? undefined
    const kept = live?.backend === driver.name ? live.keys[key] : undefined
    const same = kept && kept.fingerprint === fingerprint
    keys[key] = await withScanMarks(ctx.state, key, values[key] as string, {
      fingerprint,
      source: 'external',
      writtenAt: same ? kept.writtenAt : writtenAt,
      ...(ref ? {ref} : {}),
      ...(same && kept.scan ? {scan: kept.scan} : {}),
    })
  }
  await ctx.state.putSecret({
    name: c.name,
    backend: driver.name,
    externalRef: meta.externalRef ?? null,
    rowData: null,
    keys,
    backendVersion: meta.version,
  })
  return []
}
