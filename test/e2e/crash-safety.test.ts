/**
 * Crash safety of moves: SIGKILL the apply process at many points while 50 secrets move between two
 * plaintext backends. After every kill, each secret still has its value on the backend its row
 * names; a plain re-run always converges with every value intact.
 *
 * The kill points are chosen by what the run has done, not by the clock: the test holds the state
 * database's write lock while it looks (support/state-freeze.ts), and kills a run it sees holding
 * the state lock, either before any secret has moved or once they have (the sources still to
 * delete and the lock still to release). A run that goes past the point between two looks is
 * simply run again the other way. (On Postgres the hold keeps the run from releasing its lock,
 * not from moving secrets: a kill meant before the moves may land after some.)
 */
import {describe, it, expect} from 'vitest'
import {execa, type ResultPromise} from 'execa'
import {setTimeout as sleep} from 'node:timers/promises'
import {
  CLI,
  tempProject,
  writeFiles,
  canary,
  queryState,
  assertNoCanary,
  secretctl,
  assertAuditClean,
  waitForPostgresLocksReleased,
} from './support/cli.js'
import {plaintextBackend, envSecret, docs} from './support/manifests.js'
import {stateFreezer} from './support/state-freeze.js'

const N = 50
const names = Array.from({length: N}, (_, i) => `s${String(i).padStart(2, '0')}`)
const env: Record<string, string> = Object.fromEntries(names.map((n) => [`V_${n}`, canary(n)]))

function manifests(backend: string): Record<string, string> {
  return {'b.yaml': plaintextBackend('other'), 's.yaml': docs(...names.map((n) => envSecret(n, {VALUE: `V_${n}`}, {backend})))}
}

async function assertAllIntact(dir: string): Promise<Map<string, string>> {
  const rows = await queryState<{name: string; data: string | null; backend: string}>(
    dir,
    'select s.name, s.data, b.name as backend from secrets s join backends b on b.id = s.backend_id',
  )
  expect(rows.map((r) => r.name).sort()).toEqual(names)
  for (const r of rows) expect(JSON.parse(r.data!)).toEqual({VALUE: env[`V_${r.name}`]})
  return new Map(rows.map((r) => [r.name, r.backend]))
}

type KillPoint = 'locked, nothing moved' | 'locked, moved'

/**
 * Watches the run (in short holds, letting it work in between) and kills it at the first look that
 * finds it holding the state lock with its secrets on `target` as `want` says. Returns whether it
 * was killed there (false: it went past that point, or ended, before a look caught it).
 */
async function killAt(dir: string, child: ResultPromise, target: string, want: KillPoint): Promise<boolean> {
  let ended = false
  void child.then(() => (ended = true))
  const freezer = stateFreezer(dir)
  try {
    for (;;) {
      const landed = await freezer.frozen(async (query) => {
        if (ended) return 'ended' as const
        const locks = await query<{n: number | string}>('select count(*) as n from locks')
        if (Number(locks[0]!.n) === 0) return undefined // not started, or finished (then `ended` will tell)
        const moved = await query<{n: number | string}>(
          'select count(*) as n from secrets s join backends b on b.id = s.backend_id where b.name = ?',
          [target],
        )
        const point: KillPoint = Number(moved[0]!.n) > 0 ? 'locked, moved' : 'locked, nothing moved'
        if (point !== want) return point === 'locked, moved' ? ('past' as const) : undefined
        child.kill('SIGKILL') // it cannot release the lock while we hold this: it is inside its apply
        await child
        return 'killed' as const
      })
      if (landed === 'killed') return true
      if (landed === 'ended' || landed === 'past') return false
      await sleep(2) // let it work
    }
  } finally {
    await freezer.close()
  }
}

describe('SIGKILL during moves', () => {
  it('never loses a value, and a re-run converges', async () => {
    const dir = tempProject(manifests('default'))
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)

    const wanted: KillPoint[] = Array.from({length: 12}, (_, i) => (i % 2 ? 'locked, moved' : 'locked, nothing moved'))
    const attempts: number[] = []
    let target = 'default'
    for (const want of wanted) {
      for (let attempt = 1; ; attempt++) {
        target = target === 'default' ? 'other' : 'default'
        writeFiles(dir, manifests(target))
        const child = execa('node', [CLI, 'apply', '--auto-approve'], {
          cwd: dir,
          env: {...env, NO_COLOR: '1', SECRETCTL_ACTOR: 'e2e'},
          reject: false,
        })
        const killed = await killAt(dir, child, target, want)
        const r = await child
        assertNoCanary(String(r.stdout) + String(r.stderr), 'an interrupted apply')
        if (killed) expect(r.signal).toBe('SIGKILL')
        const placement = await assertAllIntact(dir)
        expect(placement.size).toBe(N)
        // A killed apply leaves its lock behind, as a crashed Terraform does: the operator removes it.
        await waitForPostgresLocksReleased(dir)
        for (const lock of await queryState<{lock_id: string}>(dir, 'select lock_id from locks')) {
          expect((await secretctl(['state', 'unlock', lock.lock_id, '--force'], {cwd: dir})).exitCode).toBe(0)
        }

        const rerun = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
        expect(rerun.exitCode, rerun.stderr).toBe(0)
        const after = await assertAllIntact(dir)
        expect([...after.values()].every((b) => b === target)).toBe(true)
        expect((await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})).exitCode).toBe(0)
        if (killed) {
          attempts.push(attempt)
          break
        }
        // No look caught the run at that point (it went past between two looks): again, the other way.
        expect(attempt, `no look caught the apply ${want} in ${attempt} runs`).toBeLessThan(25)
      }
    }
    console.info(`kill points reached in ${attempts.join(', ')} runs each`)
    await assertAuditClean(dir)
  }, 1_800_000)
})
