/**
 * The `scan` group of the benchmark: `secretctl scan` over the repository of scan-fixtures.js
 * (10,000 files, 50 MB, 1,000 commits) with 1,000 secrets in the state, against git's own search
 * for one fixed string over the same bytes, interleaved repetition by repetition in the same run:
 *   scan.gitGrep   `git grep -F STRING` over the tree (the reference rate of the issue)
 *   scan.files     `secretctl scan -o json` (the tree): its stats give the scanning phase's time
 *   scan.gitLog    `git log -p -U0 … | grep -F STRING` (the history's added lines, as git makes them)
 *   scan.history   `secretctl scan --git -o json`: its stats give the history phase's time
 * Every scan must find nothing (exit 0): the tree holds none of the values, so this is also a
 * false-positive check over 10,000 files. The string git looks for is absent too (exit 1).
 */
import {randomBytes} from 'node:crypto'
import {mkdirSync} from 'node:fs'
import path from 'node:path'
import {measure} from './measure.js'
import {writeScanProject, writeScanRepository} from './scan-fixtures.js'

export const SCAN_SECRETS = 1000

export async function scanGroup({work, cli, node, env, run, last, log, runs}) {
  const repo = path.join(work, 'scan-repo')
  const project = path.join(work, 'scan-project')
  log('scan: writing the repository (10,000 files, 1,000 commits) and the project')
  const made = writeScanRepository(repo)
  mkdirSync(project, {recursive: true})
  writeScanProject(project, SCAN_SECRETS)
  const setup = await measure(node, [cli, 'apply', '--auto-approve', '-d', project], {cwd: project, env})
  if (setup.exitCode !== 0) throw new Error(`scan setup: apply exited ${setup.exitCode}: ${setup.stderr.slice(-2000)}`)
  const needle = randomBytes(16).toString('hex')
  const gitLog = `git log -p -U0 --no-color --format=%x01%H HEAD | grep -F ${needle}`
  // One warm-up of each (page cache), not measured.
  await measure('git', ['grep', '-F', needle], {cwd: repo, env})
  await measure(node, [cli, 'scan', '-d', project, '-o', 'json'], {cwd: repo, env})
  for (let rep = 1; rep <= runs; rep++) {
    const grep = await run('scan.gitGrep', null, rep, 'git', ['grep', '-F', needle], {
      cwd: repo,
      env,
      expectExit: 1,
      extra: {bytes: made.bytes},
    })
    const files = await run('scan.files', null, rep, node, [cli, 'scan', '-d', project, '-o', 'json'], {cwd: repo, env})
    const f = JSON.parse(files.stdout).stats
    // The phase: the scanning of the files from the state's index being ready, plus the whole time of the
    // listing it starts from (the tracked files) although it runs while the state is read: the judged figure.
    Object.assign(last(), {
      bytes: f.bytes,
      files: f.files,
      threads: f.threads,
      phaseMs: f.ms.files + f.ms.listing,
      afterIndexMs: f.ms.files,
      listingMs: f.ms.listing,
      totalMs: f.ms.total,
    })
    const log_ = await run('scan.gitLog', null, rep, 'sh', ['-c', gitLog], {cwd: repo, env, expectExit: 1})
    const history = await run('scan.history', null, rep, node, [cli, 'scan', '--git', '-d', project, '-o', 'json'], {cwd: repo, env})
    const h = JSON.parse(history.stdout).stats
    Object.assign(last(), {bytes: h.historyBytes, commits: h.commits, phaseMs: h.ms.history, filesPhaseMs: h.ms.files, totalMs: h.ms.total})
    if (f.files !== made.files || h.commits !== made.commits)
      throw new Error(`scan scanned ${f.files} files and ${h.commits} commits, not ${made.files} and ${made.commits}`)
    log(
      `scan run ${rep}: tree: git grep ${s(grep.wallMs)}, scan phase ${s(f.ms.files + f.ms.listing)} (listing ${s(f.ms.listing)}), ${f.threads} threads (process ${s(files.wallMs)}); history: git log | grep ${s(log_.wallMs)}, scan phase ${s(h.ms.history)} (process ${s(history.wallMs)})`,
    )
  }
}

const s = (ms) => `${(ms / 1000).toFixed(2)} s`
