/**
 * `npm run bench`: secretctl's benchmark. Runs the built CLI (bin/run.js) as a process the way a
 * user does, against SQLite states in temp directories and the OpenBao test server in its own
 * process on 127.0.0.1, at N = 100, 1,000 and 10,000 secrets; measures wall time and peak RSS of
 * every process; runs the baselines in the same run; writes bench/results/latest.json and prints
 * a Markdown table with the ratios and a PASS/MISS per target. See docs/performance.md.
 *
 * Environment:
 *   BENCH_SIZES=100,1000        the sizes to run (default 100,1000,10000)
 *   BENCH_RUNS=100:5,1000:3     repetitions per size (default 100:5, 1000:3, 10000:3)
 *   BENCH_COLD_RUNS=10          repetitions of the cold-start commands (default 10)
 *   BENCH_KEEP=1                keep the temp directories (their paths go to the JSON)
 *   BENCH_ONLY=kubernetes       run only these groups: cold, openbao, kubernetes, encrypted, fixed, scale,
 *                               pgstate, progress, scan (default: all); `core` means cold and openbao (BENCH_GROUPS is
 *                               read the same way). Each group runs alone (it sets up what it needs).
 *   BENCH_FIXED_RUNS=15         repetitions of the fixed group
 *   BENCH_BEFORE=/tmp/old       the root of another built secretctl: the fixed group runs it too (`.before` rows)
 *   BENCH_CLI=/tmp/old/bin/run.js  run every scenario with this CLI instead of this tree's
 *   BENCH_SCAN_RUNS=5           repetitions of the scan group (default 5)
 */
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {execFileSync} from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {measure, cleanupScratch, RSS_METHOD} from './lib/measure.js'
import {startBaoServer} from './lib/bao-server.js'
import {startKubeServer} from './lib/kube-server.js'
import {secretName, writeEncryptedManifests, writeKubeManifests, writeManifests, writeValues} from './lib/fixtures.js'
import {evaluate, renderMarkdown} from './lib/report.js'
import {fixedGroup} from './groups/fixed.js'
import {scaleGroup} from './groups/scale.js'
import {pgstateGroup} from './groups/pgstate.js'
import {progressGroup} from './groups/progress.js'
import {SCAN_SECRETS, scanGroup} from './lib/scan-group.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const CLI = process.env.BENCH_CLI ? path.resolve(process.env.BENCH_CLI) : path.join(ROOT, 'bin/run.js')
const NODE = process.execPath
const CONCURRENCY = 16 // secretctl's default --concurrency
const DEFAULT_RUNS = {100: 5, 1000: 3, 10000: 3}

const sizes = (process.env.BENCH_SIZES ?? '100,1000,10000')
  .split(',')
  .map((s) => Number(s.trim().replace(/_/g, '')))
  .filter((n) => Number.isInteger(n) && n > 0)
if (!sizes.length) throw new Error('BENCH_SIZES names no size')
const runsFor = Object.fromEntries(
  (process.env.BENCH_RUNS ?? '')
    .split(',')
    .filter(Boolean)
    .map((p) => p.split(':').map(Number)),
)
const repetitions = (n) => runsFor[n] ?? DEFAULT_RUNS[n] ?? (n <= 100 ? 5 : n <= 1000 ? 3 : 1)
const coldRuns = Number(process.env.BENCH_COLD_RUNS ?? 10)
const GROUPS = ['cold', 'openbao', 'kubernetes', 'encrypted', 'fixed', 'scale', 'pgstate', 'progress', 'scan']
const only = (process.env.BENCH_ONLY ?? process.env.BENCH_GROUPS ?? GROUPS.join(','))
  .split(',')
  .map((g) => g.trim())
  .filter(Boolean)
  .flatMap((g) => (g === 'core' ? ['cold', 'openbao'] : [g]))
for (const g of only) if (!GROUPS.includes(g)) throw new Error(`BENCH_ONLY names ${g}; the groups are ${GROUPS.join(', ')}`)
const runs = (group) => only.includes(group)

if (!existsSync(path.join(ROOT, 'dist/src/workspace/workspace.js'))) {
  process.stderr.write('dist/ is missing: run `npm run bench` (it builds first) or `npm run build`\n')
  process.exit(1)
}

const work = mkdtempSync(path.join(os.tmpdir(), 'secretctl-bench-'))
const measurements = []
const log = (line) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`)
let server
let kube
/** Test servers the groups start, stopped on any exit. */
const extraServers = new Set()

function cleanup() {
  server?.kill()
  kube?.kill()
  for (const s of extraServers) s.kill()
  if (!process.env.BENCH_KEEP) rmSync(work, {recursive: true, force: true})
  cleanupScratch()
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    log(`${signal}: stopping`)
    cleanup()
    process.exit(130)
  })
}

/** Runs a process, checks its exit code, records the measurement. */
async function run(scenario, n, rep, cmd, args, {cwd, env, expectExit = 0, extra = {}} = {}) {
  const r = await measure(cmd, args, {cwd, env, timeoutMs: 15 * 60_000})
  if (r.timedOut || r.exitCode !== expectExit) {
    throw new Error(
      `${scenario} (N=${n}, run ${rep}) exited ${r.timedOut ? 'on timeout' : r.exitCode} (expected ${expectExit})\nstdout: ${r.stdout.slice(-2000)}\nstderr: ${r.stderr.slice(-2000)}`,
    )
  }
  const m = {scenario, n, rep, wallMs: round(r.wallMs), maxRssKB: r.maxRssKB, cpuMs: r.cpuMs, ...extra}
  measurements.push(m)
  return {...m, stdout: r.stdout}
}

const round = (x) => Math.round(x * 1000) / 1000

function cliEnv(extra = {}) {
  return {...process.env, NO_COLOR: '1', SECRETCTL_ACTOR: 'bench', ...extra}
}

async function coldStart() {
  log(`cold start: node -e 0, --version, --help × ${coldRuns}`)
  const env = cliEnv()
  // One warm-up each (page cache), then interleaved so drift hits all three alike.
  for (const args of [
    ['-e', '0'],
    [CLI, '--version'],
    [CLI, '--help'],
  ])
    await measure(NODE, args, {env, cwd: ROOT})
  for (let rep = 1; rep <= coldRuns; rep++) {
    await run('cold.node', null, rep, NODE, ['-e', '0'], {cwd: ROOT, env})
    await run('cold.version', null, rep, NODE, [CLI, '--version'], {cwd: ROOT, env})
    await run('cold.help', null, rep, NODE, [CLI, '--help'], {cwd: ROOT, env})
  }
}

/** One repetition of every scenario at size N. */
async function repetition(n, rep, token) {
  const tag = `r${rep}-n${n}`
  const env = cliEnv({BAO_TOKEN: token})

  // 3a. apply creating N secrets on plaintext (plus the bao backend and its token secret, so the
  //     later move is N moves and nothing else).
  const dirA = path.join(work, `${tag}-plaintext`)
  writeValues(dirA, n)
  writeManifests(dirA, {n, baoUrl: server.url, prefix: `bench-${tag}-move`})
  await server.clearLog()
  await run('apply.plaintext', n, rep, NODE, [CLI, 'apply', '--auto-approve', '-d', dirA], {cwd: dirA, env})
  const applyRequests = (await server.logSummary()).requests

  // 2a. plan with nothing to do, plaintext on SQLite.
  await server.clearLog()
  await run('plan.plaintext', n, rep, NODE, [CLI, 'plan', '--detailed-exitcode', '-d', dirA], {cwd: dirA, env})
  const planRequests = (await server.logSummary()).requests

  // 5c. manifests + state alone, as a process.
  await run('baseline.readState', n, rep, NODE, [path.join(ROOT, 'bench/baselines/read-state.js'), dirA], {cwd: dirA, env})

  // A copy of this state for the one-at-a-time loop (no process has it open now).
  const dirB = path.join(work, `${tag}-loop`)
  mkdirSync(path.join(dirB, '.secretctl'), {recursive: true, mode: 0o700})
  copyFileSync(path.join(dirA, '.secretctl/state.db'), path.join(dirB, '.secretctl/state.db'))

  // 4. move N secrets default → openbao: the one-line manifest edit, then apply.
  writeManifests(dirA, {n, baoUrl: server.url, prefix: `bench-${tag}-move`, backend: 'bao'})
  await server.clearLog()
  const move = await run('move', n, rep, NODE, [CLI, 'apply', '--auto-approve', '-d', dirA], {cwd: dirA, env})
  const moveLog = await server.logSummary()
  if (moveLog.requests < n) throw new Error(`move N=${n}: only ${moveLog.requests} requests reached the server`)
  if (!/Apply complete: (\d+) applied, 0 failed/.test(move.stdout) || Number(/Apply complete: (\d+) applied/.exec(move.stdout)[1]) !== n) {
    throw new Error(`move N=${n}: unexpected summary: ${move.stdout.slice(-500)}`)
  }
  Object.assign(measurements.at(-1), {
    requests: moveLog.requests,
    serverWindowMs: moveLog.lastMs - moveLog.firstMs,
    requestMix: moveLog.byOp,
  })

  // 2b. plan with nothing to do, the N secrets on openbao (one metadata read each).
  await server.clearLog()
  await run('plan.openbao', n, rep, NODE, [CLI, 'plan', '--detailed-exitcode', '-d', dirA], {cwd: dirA, env})
  measurements.at(-1).requests = (await server.logSummary()).requests

  // 5b. one secret at a time, same request path, from the copied plaintext state.
  await server.clearLog()
  const loop = await run(
    'baseline.oneAtATime',
    n,
    rep,
    NODE,
    [path.join(ROOT, 'bench/baselines/one-at-a-time.js'), dirB, `bench-${tag}-loop`],
    {cwd: dirB, env},
  )
  const loopOut = JSON.parse(loop.stdout.trim().split('\n').at(-1))
  if (loopOut.moved !== n) throw new Error(`one-at-a-time N=${n} moved ${loopOut.moved}`)
  const loopLog = await server.logSummary()
  Object.assign(measurements.at(-1), {
    loopMs: round(loopOut.loopMs),
    requests: loopLog.requests,
    serverWindowMs: loopLog.lastMs - loopLog.firstMs,
  })

  // 5a. the server's raw capacity for the move's request mix, same concurrency, keep-alive.
  await server.clearLog()
  const raw = await run(
    'baseline.rawServer',
    n,
    rep,
    NODE,
    [path.join(ROOT, 'bench/baselines/raw-loop.js'), server.url, token, `bench-${tag}-raw`, String(n), String(CONCURRENCY)],
    {cwd: ROOT, env: cliEnv()},
  )
  const rawOut = JSON.parse(raw.stdout.trim().split('\n').at(-1))
  Object.assign(measurements.at(-1), {
    requests: rawOut.requests,
    loopMs: round(rawOut.ms),
    requestsPerSecond: round(rawOut.requestsPerSecond),
  })

  // 3b. apply creating N secrets on openbao, in a fresh state.
  const dirC = path.join(work, `${tag}-openbao`)
  writeValues(dirC, n)
  writeManifests(dirC, {n, baoUrl: server.url, prefix: `bench-${tag}-create`, backend: 'bao'})
  await server.clearLog()
  await run('apply.openbao', n, rep, NODE, [CLI, 'apply', '--auto-approve', '-d', dirC], {cwd: dirC, env})
  measurements.at(-1).requests = (await server.logSummary()).requests

  log(
    `N=${n} run ${rep}: apply ${ms(find('apply.plaintext', n, rep))}, plan ${ms(find('plan.plaintext', n, rep))}, move ${ms(find('move', n, rep))} (${moveLog.requests} req), loop ${ms(find('baseline.oneAtATime', n, rep))}, raw ${rawOut.requestsPerSecond.toFixed(0)} req/s`,
  )
  if (applyRequests || planRequests) log(`note: plaintext apply/plan sent ${applyRequests}/${planRequests} requests to OpenBao`)

  if (!process.env.BENCH_KEEP) for (const d of [dirA, dirB, dirC]) rmSync(d, {recursive: true, force: true})
}

/** One repetition of the kubernetes scenarios at size N, on the Kubernetes API test server. */
async function kubeRepetition(n, rep, token) {
  const tag = `r${rep}-n${n}`
  const env = cliEnv({KUBE_TOKEN: token})
  const namespace = async (what) => {
    const name = `bench-${tag}-${what}`
    await kube.createNamespace(name)
    return name
  }

  // Setup, not measured: N secrets on plaintext, the k8s backend and its token secret.
  const dirA = path.join(work, `${tag}-kube-move`)
  const moveNs = await namespace('move')
  writeValues(dirA, n)
  writeKubeManifests(dirA, {n, url: kube.url, namespace: moveNs})
  const setup = await measure(NODE, [CLI, 'apply', '--auto-approve', '-d', dirA], {cwd: dirA, env, timeoutMs: 15 * 60_000})
  if (setup.exitCode !== 0) throw new Error(`kubernetes setup (N=${n}) exited ${setup.exitCode}: ${setup.stderr.slice(-2000)}`)

  // Move N secrets default → k8s: plan asks each destination what is there (one GET), apply creates (one POST).
  writeKubeManifests(dirA, {n, url: kube.url, namespace: moveNs, backend: 'k8s'})
  await kube.clearLog()
  const move = await run('move.kubernetes', n, rep, NODE, [CLI, 'apply', '--auto-approve', '-d', dirA], {cwd: dirA, env})
  if (Number(/Apply complete: (\d+) applied, 0 failed/.exec(move.stdout)?.[1]) !== n) {
    throw new Error(`kubernetes move N=${n}: unexpected summary: ${move.stdout.slice(-500)}`)
  }
  // The migration is the apply's requests (health check, writes), as for OpenBao, whose move plans
  // with no request; the plan's listing of the namespace (one request, metadata only) is counted apart.
  const moveLog = await kube.logSummary(true)
  const withPlan = await kube.logSummary()
  Object.assign(measurements.at(-1), {
    requests: moveLog.requests,
    serverWindowMs: moveLog.lastMs - moveLog.firstMs,
    planRequests: withPlan.requests - moveLog.requests,
    serverWindowWithPlanMs: withPlan.lastMs - withPlan.firstMs,
    requestMix: moveLog.byOp,
  })

  // Plan with nothing to do: one metadata GET per secret.
  await kube.clearLog()
  await run('plan.kubernetes', n, rep, NODE, [CLI, 'plan', '--detailed-exitcode', '-d', dirA], {cwd: dirA, env})
  measurements.at(-1).requests = (await kube.logSummary()).requests

  // The server's raw capacity for the move's writes, same concurrency, keep-alive.
  const rawNs = await namespace('raw')
  await kube.clearLog()
  const raw = await run(
    'baseline.rawKube',
    n,
    rep,
    NODE,
    [path.join(ROOT, 'bench/baselines/raw-loop.js'), 'kubernetes', kube.url, token, rawNs, String(n), String(CONCURRENCY)],
    {cwd: ROOT, env: cliEnv()},
  )
  const rawOut = JSON.parse(raw.stdout.trim().split('\n').at(-1))
  Object.assign(measurements.at(-1), {
    requests: rawOut.requests,
    loopMs: round(rawOut.ms),
    requestsPerSecond: round(rawOut.requestsPerSecond),
  })

  // Apply creating N secrets on k8s, in a fresh state.
  const dirC = path.join(work, `${tag}-kube-create`)
  writeValues(dirC, n)
  writeKubeManifests(dirC, {n, url: kube.url, namespace: await namespace('create'), backend: 'k8s'})
  await kube.clearLog()
  await run('apply.kubernetes', n, rep, NODE, [CLI, 'apply', '--auto-approve', '-d', dirC], {cwd: dirC, env})
  const createLog = await kube.logSummary()
  Object.assign(measurements.at(-1), {
    requests: createLog.requests,
    serverWindowMs: createLog.lastMs - createLog.firstMs,
    requestMix: createLog.byOp,
  })

  log(
    `N=${n} run ${rep} kubernetes: create ${ms(find('apply.kubernetes', n, rep))}, plan ${ms(find('plan.kubernetes', n, rep))}, move ${ms(move)} (${moveLog.all} req), raw ${rawOut.requestsPerSecond.toFixed(0)} req/s`,
  )
  if (!process.env.BENCH_KEEP) for (const d of [dirA, dirC]) rmSync(d, {recursive: true, force: true})
}

const find = (scenario, n, rep) => measurements.find((m) => m.scenario === scenario && m.n === n && m.rep === rep)
const ms = (m) => `${(m.wallMs / 1000).toFixed(2)} s`

/**
 * One repetition of the encrypted backend's scenarios at size N, with the default Argon2id cost
 * (t=3, m=64 MiB, p=4): apply creating N on the state-database variant and on the file variant,
 * plan with nothing to do, exec of one secret and of all N, and the same exec on plaintext as the
 * baseline; plus one key derivation alone in a fresh process, the cost each run pays once.
 */
async function encryptedRepetition(n, rep) {
  const tag = `r${rep}-n${n}`
  const env = cliEnv({SECRETCTL_ENCRYPTION_PASSWORD: 'bench-password', CI: '1'})
  const dirs = {}
  for (const store of ['plaintext', 'state', 'file']) {
    dirs[store] = path.join(work, `${tag}-enc-${store}`)
    writeValues(dirs[store], n)
    writeEncryptedManifests(dirs[store], {n, store})
  }
  // The plaintext baseline's state: measured as apply.plaintext when the core group (which has it) does not run.
  if (runs('openbao')) {
    const setup = await measure(NODE, [CLI, 'apply', '--auto-approve', '-d', dirs.plaintext], {cwd: dirs.plaintext, env})
    if (setup.exitCode !== 0) throw new Error(`plaintext setup N=${n}: ${setup.stderr.slice(-2000)}`)
  } else await run('apply.plaintext', n, rep, NODE, [CLI, 'apply', '--auto-approve', '-d', dirs.plaintext], {cwd: dirs.plaintext, env})
  await run('apply.encrypted', n, rep, NODE, [CLI, 'apply', '--auto-approve', '-d', dirs.state], {cwd: dirs.state, env})
  await run('apply.encrypted-file', n, rep, NODE, [CLI, 'apply', '--auto-approve', '-d', dirs.file], {cwd: dirs.file, env})
  await run('plan.encrypted', n, rep, NODE, [CLI, 'plan', '--detailed-exitcode', '-d', dirs.state], {cwd: dirs.state, env})
  const one = ['--secret', secretName(n - 1), '--', 'true']
  const all = [...Array.from({length: n}, (_, i) => ['--secret', secretName(i)]).flat(), '--', 'true']
  await run('exec.plaintext', n, rep, NODE, [CLI, 'exec', '-d', dirs.plaintext, ...one], {cwd: dirs.plaintext, env})
  await run('exec.encrypted', n, rep, NODE, [CLI, 'exec', '-d', dirs.state, ...one], {cwd: dirs.state, env})
  await run('exec.encrypted.all', n, rep, NODE, [CLI, 'exec', '-d', dirs.state, ...all], {cwd: dirs.state, env})
  await run('exec.encrypted-file', n, rep, NODE, [CLI, 'exec', '-d', dirs.file, ...one], {cwd: dirs.file, env})
  // The plaintext project's N secrets moved onto the encrypted backend (one line per secret: `backend: vault`).
  writeEncryptedManifests(dirs.plaintext, {n, store: 'state'})
  await run('move.encrypted', n, rep, NODE, [CLI, 'apply', '--auto-approve', '-d', dirs.plaintext], {cwd: dirs.plaintext, env})
  const kdf = await run('kdf.default', n, rep, NODE, [path.join(ROOT, 'bench/baselines/derive-key.js')], {cwd: ROOT, env})
  measurements.at(-1).kdfMs = round(JSON.parse(kdf.stdout.trim().split('\n').at(-1)).ms)
  log(
    `N=${n} run ${rep} (encrypted): apply ${ms(find('apply.encrypted', n, rep))}, file ${ms(find('apply.encrypted-file', n, rep))}, exec ${ms(find('exec.encrypted', n, rep))} (plaintext ${ms(find('exec.plaintext', n, rep))}), exec all ${ms(find('exec.encrypted.all', n, rep))}, move ${ms(find('move.encrypted', n, rep))}, Argon2id ${measurements.at(-1).kdfMs.toFixed(0)} ms`,
  )
  if (!process.env.BENCH_KEEP) for (const d of Object.values(dirs)) rmSync(d, {recursive: true, force: true})
}

function machine() {
  const cpus = os.cpus()
  let commit = null
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], {cwd: ROOT, encoding: 'utf8'}).trim()
  } catch {}
  return {
    cpuModel: cpus[0]?.model ?? null,
    cpus: cpus.length,
    memoryMB: Math.round(os.totalmem() / 2 ** 20),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    commit,
  }
}

/** The OpenBao test server with a token holding the applier policy secretctl's own `rbac print` gives, over the whole mount (each run uses its own prefix). */
async function startBenchBao() {
  const bao = await startBaoServer(ROOT)
  extraServers.add(bao)
  log(`OpenBao test server at ${bao.url} (pid ${bao.pid})`)
  const {applierPolicy} = await import('../dist/src/backends/openbao/openbao-policy.js')
  await bao.putPolicy('secretctl-bench', applierPolicy({mount: 'secret', pathPrefix: ''}))
  const token = await bao.createToken(['secretctl-bench'])
  const stop = bao.stop
  return Object.assign(bao, {token, stop: () => stop().finally(() => extraServers.delete(bao))})
}

async function main() {
  const startedAt = new Date()
  log(`sizes ${sizes.join(', ')}; runs ${sizes.map((n) => `${n}:${repetitions(n)}`).join(', ')}; work dir ${work}`)
  if (runs('cold')) await coldStart()
  let serverPeakRssKB = null
  if (runs('openbao')) {
    server = await startBenchBao()
    const token = server.token
    for (const n of sizes) for (let rep = 1; rep <= repetitions(n); rep++) await repetition(n, rep, token)
    serverPeakRssKB = server.peakRssKB()
    await server.stop()
    server = undefined
  }
  let kubePeakRssKB = null
  if (runs('kubernetes')) {
    kube = await startKubeServer(ROOT)
    log(`Kubernetes API test server at ${kube.url} (pid ${kube.pid})`)
    // The applier's verbs of secretctl's own `rbac print`, in every namespace (each run uses its own).
    const {SECRET_VERBS} = await import('../dist/src/backends/kubernetes/kubernetes-policy.js')
    const token = await kube.createToken('secretctl-bench', [{verbs: SECRET_VERBS.applier, resources: ['secrets']}])
    for (const n of sizes) for (let rep = 1; rep <= repetitions(n); rep++) await kubeRepetition(n, rep, token)
    kubePeakRssKB = kube.peakRssKB()
    await kube.stop()
    kube = undefined
  }
  if (runs('encrypted')) for (const n of sizes) for (let rep = 1; rep <= repetitions(n); rep++) await encryptedRepetition(n, rep)
  const ctx = {run, measure, log, work, cliEnv, CLI, NODE, ROOT, CONCURRENCY, startBao: startBenchBao, last: () => measurements.at(-1)}
  if (runs('fixed')) await fixedGroup(ctx)
  if (runs('scale')) await scaleGroup(ctx)
  if (runs('pgstate')) await pgstateGroup(ctx)
  if (runs('progress')) await progressGroup(ctx)
  if (runs('scan'))
    await scanGroup({
      work,
      cli: CLI,
      node: NODE,
      env: cliEnv(),
      run,
      last: () => measurements.at(-1),
      log,
      runs: Number(process.env.BENCH_SCAN_RUNS ?? 5),
    })

  const summary = evaluate(measurements, {sizes})
  const result = {
    date: startedAt.toISOString(),
    durationS: Math.round((Date.now() - startedAt.getTime()) / 1000),
    machine: machine(),
    method: {
      wallTime: 'process.hrtime from spawn to exit of the child, in the bench driver',
      peakRss: RSS_METHOD,
      cli: 'node bin/run.js … (the built CLI), NO_COLOR=1, stdout piped',
      concurrency: CONCURRENCY,
      openbao: 'test/support/openbao/cli.ts in its own process (node --import tsx), 127.0.0.1',
      kubernetes: 'test/support/kubernetes/cli.ts in its own process (node --import tsx), plain HTTP on 127.0.0.1',
      groups: only,
      cliUnderTest: CLI,
      scan: `secretctl scan over a git repository of 10,000 files / 50 MB built by 1,000 commits (bench/lib/scan-fixtures.js), ${SCAN_SECRETS} secrets in the state; against git grep -F (the tree) and git log -p -U0 | grep -F (the history) for one fixed string, interleaved in the same run; phase rates from the scan's own stats.ms`,
      requestCounts: "the test server's request log (GET /__test/log), cleared before each measured process",
    },
    sizes,
    runs: Object.fromEntries(sizes.map((n) => [n, repetitions(n)])),
    coldRuns,
    serverPeakRssKB,
    kubePeakRssKB,
    summary,
    measurements,
  }
  mkdirSync(path.join(ROOT, 'bench/results'), {recursive: true})
  writeFileSync(path.join(ROOT, 'bench/results/latest.json'), JSON.stringify(result, null, 2) + '\n')
  process.stdout.write(renderMarkdown(result))
  log(`wrote bench/results/latest.json (${result.durationS} s)`)
}

try {
  await main()
} catch (err) {
  log(`failed: ${err instanceof Error ? err.stack : err}`)
  process.exitCode = 1
} finally {
  if (server) await server.stop().catch(() => server?.kill())
  if (kube) await kube.stop().catch(() => kube?.kill())
  cleanup()
}
