/**
 * Crash safety of moves: SIGKILL the apply process at many points while 50 secrets move between two
 * plaintext backends. After every kill, each secret still has its value on the backend its row
 * names; a plain re-run always converges with every value intact.
 */
import {describe, it, expect} from 'vitest'
import {execa} from 'execa'
import {CLI, tempProject, writeFiles, canary, queryState, assertNoCanary, secretctl, assertAuditClean} from './support/cli.js'
import {plaintextBackend, envSecret, docs} from './support/manifests.js'

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

describe('SIGKILL during moves', () => {
  it('never loses a value, and a re-run converges', async () => {
    const dir = tempProject(manifests('default'))
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)

    // Time one full move to spread the kill points over it.
    writeFiles(dir, manifests('other'))
    const t0 = Date.now()
    expect((await secretctl(['apply', '--auto-approve'], {cwd: dir, env})).exitCode).toBe(0)
    const full = Date.now() - t0

    const kills = 12
    let interrupted = 0
    for (let i = 0; i < kills; i++) {
      const target = i % 2 === 0 ? 'default' : 'other'
      writeFiles(dir, manifests(target))
      const child = execa('node', [CLI, 'apply', '--auto-approve'], {
        cwd: dir,
        env: {...env, NO_COLOR: '1', SECRETCTL_ACTOR: 'e2e'},
        reject: false,
      })
      const delay = Math.round((full * (i + 1)) / (kills + 1))
      const timer = setTimeout(() => child.kill('SIGKILL'), delay)
      const r = await child
      clearTimeout(timer)
      assertNoCanary(String(r.stdout) + String(r.stderr), 'an interrupted apply')
      if (r.signal === 'SIGKILL') interrupted++
      const placement = await assertAllIntact(dir)
      expect(placement.size).toBe(N)
      // A killed apply leaves its lock behind, as a crashed Terraform does: the operator removes it.
      for (const lock of await queryState<{lock_id: string}>(dir, 'select lock_id from locks')) {
        expect((await secretctl(['state', 'unlock', lock.lock_id, '--force'], {cwd: dir})).exitCode).toBe(0)
      }

      const rerun = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
      expect(rerun.exitCode, rerun.stderr).toBe(0)
      const after = await assertAllIntact(dir)
      expect([...after.values()].every((b) => b === target)).toBe(true)
      expect((await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})).exitCode).toBe(0)
    }
    // Most kill points must land inside a running apply for the test to mean anything.
    expect(interrupted).toBeGreaterThanOrEqual(kills / 2)
    await assertAuditClean(dir)
  }, 300_000)
})
