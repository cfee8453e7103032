/**
 * Before an apply writes anything to any backend, it makes sure the state will let it record every
 * change of the plan: a value written to a backend and then refused by the state is drift (the
 * rotator role once rotated generated values on OpenBao and could not record them). An apply
 * whose database role lacks a privilege some change needs is refused whole, before any change:
 * a plan is applied as reviewed or not at all (docs/security.md, "Who can read what"). The
 * commands that write without a plan check the same way (assertMayRecord).
 */
import type {Change, Plan} from '../plan/types.js'
import type {StateStore, StateWrite} from '../state/types.js'
import {StateError} from '../errors.js'

/**
 * For the commands that write outside a plan (`secret set`, `import`, `state rm`): refuses, before
 * anything is written anywhere, when the role may not make `writes` (and the serial and audit rows
 * every writing command makes). `what` says what would have been recorded.
 */
export async function assertMayRecord(state: StateStore, writes: StateWrite[], what: string): Promise<void> {
  const missing = await state.missingPrivileges([...new Set([...writes, 'serial', 'audit'] as StateWrite[])])
  if (!missing.size) return
  const lacking = [...new Set([...missing.values()].flat())]
  throw new StateError(
    `the state at ${state.location} would not let this role record ${what} (it lacks ${lacking.join(', ')}), so nothing was written`,
    'run it with a role that may write the state (`secretctl rbac print --role applier`)',
  )
}

/** How many addresses a refusal names per missing privilege. */
const ADDRESSES_SHOWN = 5

/** The state writes applying `c` makes (one per store method apply-plan.ts calls for it). */
export function stateWritesOf(c: Change): StateWrite[] {
  switch (c.kind) {
    case 'token':
      return ['token']
    case 'backend':
      if (c.action === 'create' || c.action === 'update') return ['backend-upsert']
      if (c.action === 'set-default') return ['backend-default']
      return c.retainedCopies?.length ? ['copy-delete', 'backend-delete'] : ['backend-delete']
    case 'secret':
      if (c.action === 'delete') return c.copies ? ['copy-delete'] : ['secret-delete']
      // A move records the copy on its source (kept, or still to delete) and forgets it once deleted.
      if (c.action === 'move') return ['secret-put', 'copy-put', 'copy-delete']
      return c.action === 'update' && c.recordOnly ? ['secret-put', 'secret-keys'] : ['secret-put']
  }
}

/**
 * Refuses (StateError, nothing changed) when the state's role may not make a write some change of
 * `plan` needs, naming what it lacks and which changes need it. Every apply also bumps the serial
 * and writes audit rows.
 */
export async function assertStateRecords(plan: Plan, state: StateStore): Promise<void> {
  if (!plan.changes.length) return
  const byChange = plan.changes.map((c) => ({c, writes: stateWritesOf(c)}))
  const missing = await state.missingPrivileges([...new Set(['serial', 'audit', ...byChange.flatMap((x) => x.writes)] as StateWrite[])])
  if (!missing.size) return
  // Missing privilege → the addresses that need it.
  const needed = new Map<string, Set<string>>()
  const need = (privilege: string, address: string) => needed.set(privilege, (needed.get(privilege) ?? new Set()).add(address))
  for (const w of ['serial', 'audit'] as const) for (const p of missing.get(w) ?? []) need(p, 'every apply')
  for (const {c, writes} of byChange) for (const w of writes) for (const p of missing.get(w) ?? []) need(p, c.address)
  const lines = [...needed].map(([privilege, addresses]) => {
    const list = [...addresses]
    const more = list.length > ADDRESSES_SHOWN ? `, and ${list.length - ADDRESSES_SHOWN} more` : ''
    return `  ${privilege} (needed by ${list.slice(0, ADDRESSES_SHOWN).join(', ')}${more})`
  })
  const everyApply = missing.has('serial') || missing.has('audit')
  const rotatable = everyApply ? [] : plan.changes.filter((c) => c.kind === 'token' && !stateWritesOf(c).some((w) => missing.has(w)))
  const tokens = rotatable.length
    ? `; this role may rotate the backend tokens: \`secretctl reconcile --rotate ${rotatable.map((c) => `--target ${c.address}`).join(' ')}\``
    : ''
  throw new StateError(
    `the state at ${state.location} would not let this role record every change of the plan, so none was applied (no backend was written):\n${lines.join('\n')}`,
    `apply with a role that may write the state (\`secretctl rbac print --role applier\`)${tokens}`,
  )
}
