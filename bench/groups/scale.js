/**
 * The `scale` group: 100,000 secrets (issue 18, target 2). At each size of BENCH_SCALE_SIZES (default
 * 10,000 and 100,000), in a fresh directory: `apply` creating N plaintext secrets on SQLite, `plan` with
 * nothing to do, then the one-line edit moving all N to the OpenBao test server and the `apply` that moves
 * them, with the largest idle gap in the server's request log (between two consecutive requests, from the
 * first to the last). Targets: plan and apply grow ≤ 11× from 10,000 to 100,000; peak RSS ≤ 512 MiB at
 * 100,000; no gap > 100 ms in the move of 100,000. Slow: about 10 minutes on two shared cores.
 */
import {rmSync} from 'node:fs'
import path from 'node:path'
import {writeManifests, writeValues} from '../lib/fixtures.js'

/** `ctx`: {run, log, work, cliEnv, CLI, NODE, startBao}. */
export async function scaleGroup(ctx) {
  const {run, log, work, cliEnv, CLI, NODE, startBao} = ctx
  const sizes = (process.env.BENCH_SCALE_SIZES ?? '10000,100000').split(',').map((s) => Number(s.replace(/_/g, '')))
  const runsOf = Object.fromEntries(
    (process.env.BENCH_SCALE_RUNS ?? '10000:2,100000:1')
      .split(',')
      .filter(Boolean)
      .map((p) => p.split(':').map(Number)),
  )
  const server = await startBao()
  try {
    for (const n of sizes) {
      for (let rep = 1; rep <= (runsOf[n] ?? 1); rep++) {
        const dir = path.join(work, `scale-r${rep}-n${n}`)
        const prefix = `scale-r${rep}-n${n}`
        const env = cliEnv({BAO_TOKEN: server.token})
        writeValues(dir, n)
        writeManifests(dir, {n, baoUrl: server.url, prefix})
        const apply = await run('scale.apply', n, rep, NODE, [CLI, 'apply', '--auto-approve', '-d', dir], {cwd: dir, env})
        const plan = await run('scale.plan', n, rep, NODE, [CLI, 'plan', '--detailed-exitcode', '-d', dir], {cwd: dir, env})
        writeManifests(dir, {n, baoUrl: server.url, prefix, backend: 'bao'})
        await server.clearLog()
        const move = await run('scale.move', n, rep, NODE, [CLI, 'apply', '--auto-approve', '-d', dir], {cwd: dir, env})
        const gaps = await server.logGaps()
        if (gaps.requests < n) throw new Error(`scale move N=${n}: only ${gaps.requests} requests reached the server`)
        Object.assign(ctx.last(), gaps)
        log(
          `scale N=${n} run ${rep}: apply ${(apply.wallMs / 1000).toFixed(1)} s (${(apply.maxRssKB / 1024).toFixed(0)} MiB), plan ${(plan.wallMs / 1000).toFixed(1)} s (${(plan.maxRssKB / 1024).toFixed(0)} MiB), move ${(move.wallMs / 1000).toFixed(1)} s (${(move.maxRssKB / 1024).toFixed(0)} MiB), largest gap ${gaps.maxGapMs} ms (request ${gaps.maxGapAt?.index} of ${gaps.requests}: ${gaps.maxGapAt?.before} → ${gaps.maxGapAt?.after}), ${gaps.gapsOver100Ms} over 100 ms`,
        )
        if (!process.env.BENCH_KEEP) rmSync(dir, {recursive: true, force: true})
      }
    }
  } finally {
    await server.stop()
  }
}
