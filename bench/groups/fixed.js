/**
 * The `fixed` group: the fixed cost every run pays (issue 18, target 1), side by side in one run.
 * - `plan` with nothing to do of a 100-secret plaintext project, against baseline (d),
 *   bench/baselines/minimal-plan.js: the same essential work with only `yaml`, `sqlite3` and
 *   `node:crypto` (target: plan ≤ 1.5 × the script);
 * - `exec --secret NAME -- true` of the same project, against `node -e` spawning the same `true`
 *   and waiting for it (Node's own start plus the child; target ≤ 2×).
 * With BENCH_BEFORE=DIR (the root of another build of secretctl, e.g. a worktree of the commit
 * before a change, built), the same two commands of that build run interleaved too, as the
 * `.before` rows. All processes of one repetition run back to back, in turn, so drift on the
 * shared machine hits each alike; the ratios are paired per repetition.
 */
import path from 'node:path'
import {secretName, writePlaintextManifests, writeValues} from '../lib/fixtures.js'

const N = 100

/** `ctx`: {run, measure, log, work, cliEnv, CLI, NODE, ROOT}. */
export async function fixedGroup(ctx) {
  const {run, measure, log, work, cliEnv, CLI, NODE, ROOT} = ctx
  const runs = Number(process.env.BENCH_FIXED_RUNS ?? 15)
  const before = process.env.BENCH_BEFORE ? path.join(path.resolve(process.env.BENCH_BEFORE), 'bin/run.js') : null
  const env = cliEnv()
  const dir = path.join(work, 'fixed-100')
  writeValues(dir, N)
  writePlaintextManifests(dir, {n: N})
  const setup = await measure(NODE, [CLI, 'apply', '--auto-approve', '-d', dir], {cwd: dir, env})
  if (setup.exitCode !== 0) throw new Error(`fixed setup: ${setup.stderr.slice(-2000)}`)

  const plan = ['plan', '--detailed-exitcode', '-d', dir]
  const exec = ['exec', '-d', dir, '--secret', secretName(N - 1), '--', 'true']
  const minimal = path.join(ROOT, 'bench/baselines/minimal-plan.js')
  const nodeAndChild = ['-e', "require('node:child_process').spawnSync('true', {stdio: 'inherit'})"]
  const steps = [
    ['fixed.plan', [CLI, ...plan]],
    ['baseline.minimalPlan', [minimal, dir]],
    ['fixed.exec', [CLI, ...exec]],
    ['baseline.nodeChild', nodeAndChild],
    ...(before
      ? [
          ['fixed.plan.before', [before, ...plan]],
          ['fixed.exec.before', [before, ...exec]],
        ]
      : []),
  ]
  log(`fixed cost: plan and exec of ${N} secrets, minimal script, node + child${before ? `, and ${before}` : ''} × ${runs}`)
  for (const [, args] of steps) await measure(NODE, args, {cwd: dir, env}) // warm-up (page cache)
  for (let rep = 1; rep <= runs; rep++) for (const [scenario, args] of steps) await run(scenario, N, rep, NODE, args, {cwd: dir, env})
}
