/**
 * The CI gate: saved plans that refuse to go stale, Markdown plans, the state lock, and history.
 */
import {describe, it, expect} from 'vitest'
import {execa} from 'execa'
import {statSync, readFileSync, cpSync} from 'node:fs'
import path from 'node:path'
import Ajv2020 from 'ajv/dist/2020.js'
import {
  secretctl,
  tempProject,
  writeFiles,
  canary,
  stateBytes,
  queryState,
  assertNoCanary,
  assertAuditClean,
  waitForPostgresLocksReleased,
  CLI,
  ROOT,
  E2E_STATE,
} from './support/cli.js'
import {plaintextBackend, envSecret, docs} from './support/manifests.js'
import {waitFor} from '../support/wait-for.js'

function converged(): {dir: string; env: Record<string, string>} {
  const env = {V1: canary('v1'), V2: canary('v2')}
  const dir = tempProject({
    'b.yaml': plaintextBackend('other'),
    's.yaml': docs(envSecret('a', {A: 'V1'}), envSecret('b', {B: 'V2'}, {backend: 'other'})),
  })
  return {dir, env}
}

/**
 * Creates the project's state, empty: a saved plan is checked against its state's salt, so
 * `plan --out` needs one, and plan itself never creates it. A first apply limited to what exists
 * in every state (the trust root) changes nothing and creates the state.
 */
async function createState(dir: string, env: Record<string, string>): Promise<void> {
  const r = await secretctl(['apply', '--auto-approve', '--target', 'backend.default'], {cwd: dir, env})
  expect(r.exitCode, r.stderr).toBe(0)
}

/**
 * An apply at a (pseudo) terminal, stopped at "Apply these changes?": it holds the state lock until
 * it gets an answer, however slow the machine. Resolves once the lock row names it, with the
 * apply's own pid (the row's; `script` runs it as a child).
 */
async function applyAtPrompt(dir: string, env: Record<string, string>, actor: string) {
  const child = execa('script', ['-qfec', `node ${CLI} apply`, '/dev/null'], {
    cwd: dir,
    env: {...env, SECRETCTL_ACTOR: actor},
    reject: false,
    stdin: 'pipe',
  })
  let exited = false
  void child.then(() => (exited = true))
  const pid = await waitFor(
    `the apply of ${actor} to take the state lock`,
    async () => {
      const rows = await queryState<{actor: string; pid: number | string}>(dir, 'select actor, pid from locks').catch(() => [])
      const mine = rows.find((r) => r.actor === actor)
      return mine ? Number(mine.pid) : undefined
    },
    {stop: () => (exited ? 'it exited' : undefined)},
  )
  return {child, pid} // not the subprocess alone: it is a promise, and returning it would wait for it
}

function schema(name: string) {
  const ajv = new Ajv2020.default({allErrors: true, strict: false})
  return ajv.compile(JSON.parse(readFileSync(path.join(ROOT, 'schemas', name), 'utf8')))
}

describe('saved plans', () => {
  it('plan --out writes a 0600, schema-valid, value-free file that apply FILE applies exactly once', async () => {
    const {dir, env} = converged()
    await createState(dir, env)
    const out = await secretctl(['plan', '--out', 'plan.json'], {cwd: dir, env})
    expect(out.exitCode).toBe(0)
    const file = path.join(dir, 'plan.json')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const text = readFileSync(file, 'utf8')
    assertNoCanary(text, 'the saved plan file')
    const validPlan = schema('plan.schema.json')
    expect(validPlan(JSON.parse(text)), JSON.stringify(validPlan.errors)).toBe(true)

    const shown = await secretctl(['show', 'plan.json'], {cwd: dir})
    expect(shown.stdout).toContain('+ secret.a')

    const apply = await secretctl(['apply', 'plan.json', '--json'], {cwd: dir, env})
    expect(apply.exitCode, apply.stderr).toBe(0)
    const doc = JSON.parse(apply.stdout)
    const validResult = schema('apply-result.schema.json')
    expect(validResult(doc.result), JSON.stringify(validResult.errors)).toBe(true)
    expect(doc.result.summary).toEqual({applied: 3, failed: 0, skipped: 0})

    const before = stateBytes(dir)!
    const twice = await secretctl(['apply', 'plan.json'], {cwd: dir, env})
    expect(twice.exitCode).toBe(1)
    expect(twice.stderr).toMatch(/the state changed since the plan was made \(serial 0 → 1\)/)
    expect(stateBytes(dir)!.equals(before)).toBe(true)
  })

  it('refuses a plan from another state, a changed env value, and a changed file, changing nothing', async () => {
    const {dir, env} = converged()
    await createState(dir, env)
    await secretctl(['plan', '--out', 'plan.json'], {cwd: dir, env})

    const other = converged()
    cpSync(path.join(dir, 'plan.json'), path.join(other.dir, 'plan.json'))
    await createState(other.dir, env)
    const otherBefore = stateBytes(other.dir)!
    const lineage = await secretctl(['apply', 'plan.json'], {cwd: other.dir, env})
    expect(lineage.exitCode).toBe(1)
    expect(lineage.stderr).toMatch(/made against another state \(lineage/)
    expect(stateBytes(other.dir)!.equals(otherBefore)).toBe(true)

    const before = stateBytes(dir)!
    const changedEnv = await secretctl(['apply', 'plan.json'], {cwd: dir, env: {...env, V1: canary('v1-changed')}})
    expect(changedEnv.exitCode).toBe(1)
    expect(changedEnv.stderr).toMatch(/a value source changed since the plan was made: secret\.a\/A/)
    expect(stateBytes(dir)!.equals(before)).toBe(true)

    writeFiles(dir, {'cert.pem': 'one', 'c.yaml': 'kind: Secret\nname: c\ndata:\n  PEM: { fromFile: cert.pem }\n'})
    await secretctl(['plan', '--out', 'plan2.json'], {cwd: dir, env})
    writeFiles(dir, {'cert.pem': 'two'})
    const changedFile = await secretctl(['apply', 'plan2.json'], {cwd: dir, env})
    expect(changedFile.exitCode).toBe(1)
    expect(changedFile.stderr).toMatch(/a value source changed since the plan was made: secret\.c\/PEM/)
    expect(stateBytes(dir)!.equals(before)).toBe(true)

    writeFiles(dir, {'cert.pem': 'one', 'extra.yaml': envSecret('z', {Z: 'V1'})})
    const changedManifests = await secretctl(['apply', 'plan2.json'], {cwd: dir, env})
    expect(changedManifests.exitCode).toBe(1)
    expect(changedManifests.stderr).toMatch(/the manifests changed since the plan was made/)
    expect(stateBytes(dir)!.equals(before)).toBe(true)
  })
})

describe('markdown', () => {
  it('a summary line, one collapsible section per change, byte-identical across runs, no value', async () => {
    const {dir, env} = converged()
    await createState(dir, env)
    const a = await secretctl(['plan', '--markdown'], {cwd: dir, env})
    const b = await secretctl(['plan', '--markdown'], {cwd: dir, env})
    expect(a.exitCode).toBe(0)
    expect(a.stdout).toBe(b.stdout)
    // The lineage differs per state; everything else is fixed for these inputs.
    expect(a.stdout.replace(/lineage `[^`]+`/, 'lineage `L`')).toMatchInlineSnapshot(`
      "### secretctl plan

      **Plan: 3 to create, 0 to update, 0 to move, 0 to delete.**

      State lineage \`L\`, serial 0.

      #### backends (1 create)

      <details><summary><code>+ backend.other</code> create: new plaintext backend</summary>

      </details>

      #### secrets on default (1 create)

      <details><summary><code>+ secret.a</code> create: new secret on default (1 key)</summary>

      | key | value |
      | --- | --- |
      | \`A\` | added |

      </details>

      #### secrets on other (1 create)

      <details><summary><code>+ secret.b</code> create: new secret on other (1 key)</summary>

      | key | value |
      | --- | --- |
      | \`B\` | added |

      </details>"
    `)
  })
})

describe('state lock', () => {
  it('a holder killed mid-apply: the next run takes its lock over (SQLite) or finds it released (Postgres)', async () => {
    const {dir, env} = converged()
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    // A holder killed while it holds the lock: an apply waiting for its answer, killed with SIGKILL.
    writeFiles(dir, {'more.yaml': docs(...Array.from({length: 3}, (_, i) => envSecret(`more${i}`, {K: 'V1'})))})
    const holder = await applyAtPrompt(dir, env, 'killed-runner')
    process.kill(holder.pid, 'SIGKILL')
    assertNoCanary(String((await holder.child).stdout), 'the killed holder at a terminal')
    await waitForPostgresLocksReleased(dir)
    if (E2E_STATE === 'postgres') {
      // On Postgres the lock is a session advisory lock: the dead holder's session released it,
      // and the next run replaces its stale row. Nothing to unlock by hand.
      const after = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
      expect(after.exitCode, after.stderr).toBe(0)
      expect(await queryState(dir, 'select * from locks')).toEqual([])
    } else {
      const locks = await queryState<{lock_id: string}>(dir, 'select lock_id from locks')
      expect(locks).toHaveLength(1)
      // The holder is gone from this host: the next run takes the lock over and says so (test/e2e/state-lock.test.ts has the rest).
      const after = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
      expect(after.exitCode, after.stderr).toBe(0)
      expect(after.stderr).toContain(`Note: took over the state lock ${locks[0]!.lock_id} of killed-runner on `)
      expect(await queryState(dir, 'select * from locks')).toEqual([])
    }
    await assertAuditClean(dir)
  })

  it('two concurrent applies: exactly one proceeds, the other fails naming the holder or waits with --lock-timeout', async () => {
    const {dir, env} = converged()
    // The holder is an apply at a (pseudo) terminal waiting for "yes": it holds the lock until we answer.
    const {child: holder} = await applyAtPrompt(dir, env, 'holder')
    const refused = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
    expect(refused.exitCode).toBe(1)
    expect(refused.stderr).toMatch(/the state is locked by holder on .+ \(pid \d+, `apply`\)/)
    holder.stdin!.write('yes\n')
    const held = await holder
    assertNoCanary(String(held.stdout), 'the holder at a terminal')
    expect(held.exitCode, String(held.stdout)).toBe(0)
    expect(String(held.stdout)).toMatch(/Apply these changes\?[\s\S]*Apply complete: 3 applied/)
    const serial = async () => Number((await queryState<{serial: number}>(dir, 'select serial from state_meta'))[0]!.serial)
    expect(await serial()).toBe(1)

    writeFiles(dir, {'s.yaml': docs(envSecret('a', {A: 'V1'}, {backend: 'other'}), envSecret('b', {B: 'V2'}, {backend: 'other'}))})
    const {child: holder2} = await applyAtPrompt(dir, env, 'holder')
    // While the holder waits for its answer, a run with --lock-timeout waits that long, then gives up naming it.
    const gaveUp = await secretctl(['apply', '--auto-approve', '--lock-timeout', '1s'], {cwd: dir, env})
    expect(gaveUp.exitCode).toBe(1)
    expect(gaveUp.stderr).toMatch(/the state is locked by holder on .+ \(waited \d+s\)/)
    // One with a longer --lock-timeout goes ahead once the holder is done, with what the holder left.
    const waiting = secretctl(['apply', '--auto-approve', '--lock-timeout', '120s'], {cwd: dir, env})
    holder2.stdin!.write('yes\n')
    expect((await holder2).exitCode).toBe(0)
    const waited = await waiting
    expect(waited.exitCode, waited.stderr).toBe(0)
    // The holder moved the secret; the waiter then found nothing left to do: nothing lost or doubled.
    expect(waited.stdout).toContain('No changes.')
    const rows = await queryState<{name: string; backend: string; data: string}>(
      dir,
      'select s.name, s.data, b.name as backend from secrets s join backends b on b.id = s.backend_id order by s.name',
    )
    expect(rows.map((r) => [r.name, r.backend, JSON.parse(r.data)])).toEqual([
      ['a', 'other', {A: env.V1}],
      ['b', 'other', {B: env.V2}],
    ])
    expect(await serial()).toBe(2)
  })
})

describe('history', () => {
  it('lists applies newest first with actor, changes and outcome', async () => {
    const {dir, env} = converged()
    await secretctl(['apply', '--auto-approve'], {cwd: dir, env: {...env, SECRETCTL_ACTOR: 'alice'}})
    writeFiles(dir, {'s.yaml': docs(envSecret('a', {A: 'V1'}, {backend: 'other'}), envSecret('b', {B: 'V2'}, {backend: 'other'}))})
    await secretctl(['apply', '--auto-approve'], {cwd: dir, env: {...env, SECRETCTL_ACTOR: 'bob'}})
    const h = await secretctl(['history', '--json'], {cwd: dir})
    expect(h.exitCode).toBe(0)
    const runs = JSON.parse(h.stdout)
    expect(runs.map((r: {actor: string}) => r.actor)).toEqual(['bob', 'alice'])
    expect(runs[0].changes).toEqual([expect.objectContaining({address: 'secret.a', action: 'move', outcome: 'applied'})])
    expect(runs[1].changes).toHaveLength(3)
    const limited = JSON.parse((await secretctl(['history', '--json', '--limit', '1'], {cwd: dir})).stdout)
    expect(limited).toHaveLength(1)
    const text = await secretctl(['history'], {cwd: dir})
    expect(text.stdout).toMatch(/bob\s+applied\s+move secret\.a/)
  })
})
