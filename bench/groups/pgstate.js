/**
 * The `pgstate` group: the state in Postgres (issue 18, target 3). A throwaway PostgreSQL server on
 * 127.0.0.1, started by the test harness (test/support/postgres-server.ts, loaded through tsx; it stops
 * with this process) and the OpenBao test server. At each size of BENCH_PG_SIZES (default 10,000), each
 * repetition runs, with the state in SQLite and then in Postgres (a schema of its own per repetition,
 * `?schema=`): `apply` creating N plaintext secrets, then the move of all N to OpenBao. Target: Postgres
 * within 1.5× of SQLite, paired per repetition. SECRETCTL_TEST_PG (a superuser URL of a server of your
 * own) is used instead of starting one.
 */
import {rmSync} from 'node:fs'
import path from 'node:path'
import {writeManifests, writeValues} from '../lib/fixtures.js'

/** `ctx`: {run, log, work, cliEnv, CLI, NODE, startBao}. */
export async function pgstateGroup(ctx) {
  const {run, log, work, cliEnv, CLI, NODE, startBao} = ctx
  const sizes = (process.env.BENCH_PG_SIZES ?? '10000').split(',').map((s) => Number(s.replace(/_/g, '')))
  const runs = Number(process.env.BENCH_PG_RUNS ?? 3)
  const pg = await startPostgres()
  const server = await startBao()
  try {
    log(`Postgres at ${pg.url.replace(/:[^:@/]*@/, ':***@')}`)
    for (const n of sizes) {
      for (let rep = 1; rep <= runs; rep++) {
        for (const store of ['sqlite', 'postgres']) {
          const tag = `pg-${store}-r${rep}-n${n}`
          const dir = path.join(work, tag)
          const state = store === 'postgres' ? ['--state', `${pg.url}${pg.url.includes('?') ? '&' : '?'}schema=bench_r${rep}_n${n}`] : []
          const env = cliEnv({BAO_TOKEN: server.token})
          writeValues(dir, n)
          writeManifests(dir, {n, baoUrl: server.url, prefix: tag})
          await run(`pgstate.apply.${store}`, n, rep, NODE, [CLI, 'apply', '--auto-approve', '-d', dir, ...state], {cwd: dir, env})
          writeManifests(dir, {n, baoUrl: server.url, prefix: tag, backend: 'bao'})
          await server.clearLog()
          const move = await run(`pgstate.move.${store}`, n, rep, NODE, [CLI, 'apply', '--auto-approve', '-d', dir, ...state], {
            cwd: dir,
            env,
          })
          if (Number(/Apply complete: (\d+) applied, 0 failed/.exec(move.stdout)?.[1]) !== n) {
            throw new Error(`pgstate move (${store}, N=${n}): unexpected summary: ${move.stdout.slice(-500)}`)
          }
          if (!process.env.BENCH_KEEP) rmSync(dir, {recursive: true, force: true})
        }
        log(`pgstate N=${n} run ${rep} done`)
      }
    }
  } finally {
    await server.stop()
    await pg.stop()
  }
}

/** The harness's server (its URL as the owner of database `secretctl`), or SECRETCTL_TEST_PG. */
async function startPostgres() {
  if (process.env.SECRETCTL_TEST_PG) return {url: process.env.SECRETCTL_TEST_PG, stop: async () => {}}
  const {tsImport} = await import('tsx/esm/api')
  const {startPostgres: start} = await tsImport('../../test/support/postgres-server.ts', import.meta.url)
  return start()
}
