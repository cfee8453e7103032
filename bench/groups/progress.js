/**
 * The `progress` group: what the progress display of a long apply costs (issue 18, target 6). At each size
 * of BENCH_PROGRESS_SIZES (default 10,000), `apply` creating N plaintext secrets, in turn:
 * - off a terminal (stdout and stderr piped): progress lines at the default interval, against
 *   SECRETCTL_PROGRESS_INTERVAL=off; and a line after every change (`0s`) as information;
 * - at a terminal (a pseudo-terminal from `script -qfec`): the bar on stderr, against the same run with
 *   stderr sent to a file, which turns the display off (SECRETCTL_PROGRESS_INTERVAL=off) while stdout
 *   stays a terminal.
 * Target: ≤ 2 % more wall time, paired per repetition (medians). A build without a progress display
 * measures the same in every column.
 */
import {rmSync} from 'node:fs'
import path from 'node:path'
import {writePlaintextManifests, writeValues} from '../lib/fixtures.js'

const quote = (s) => `'${String(s).replace(/'/g, "'\\''")}'`

/** `ctx`: {run, log, work, cliEnv, CLI, NODE}. */
export async function progressGroup(ctx) {
  const {run, log, work, cliEnv, CLI, NODE} = ctx
  const sizes = (process.env.BENCH_PROGRESS_SIZES ?? '10000').split(',').map((s) => Number(s.replace(/_/g, '')))
  const runs = Number(process.env.BENCH_PROGRESS_RUNS ?? 15)
  for (const n of sizes) {
    const template = path.join(work, `progress-n${n}-template`)
    writeValues(template, n)
    writePlaintextManifests(template, {n})
    const variants = [
      ['progress.lines', {}, false],
      ['progress.off', {SECRETCTL_PROGRESS_INTERVAL: 'off'}, false],
      ['progress.everyChange', {SECRETCTL_PROGRESS_INTERVAL: '0s'}, false],
      ['progress.tty', {}, true],
      ['progress.ttyOff', {SECRETCTL_PROGRESS_INTERVAL: 'off'}, 'stderr-to-file'],
    ]
    for (let rep = 1; rep <= runs; rep++) {
      for (const [scenario, extra, tty] of variants) {
        // Each apply creates N in a fresh state over the same manifests and value files.
        rmSync(path.join(template, '.secretctl'), {recursive: true, force: true})
        const env = cliEnv(extra)
        const args = [CLI, 'apply', '--auto-approve', '-d', template]
        if (!tty) await run(scenario, n, rep, NODE, args, {cwd: template, env})
        else {
          const stderr = tty === 'stderr-to-file' ? ` 2>${quote(path.join(work, 'progress-stderr.txt'))}` : ''
          const line = `${[NODE, ...args].map(quote).join(' ')}${stderr}`
          await run(scenario, n, rep, 'script', ['-qfec', line, '/dev/null'], {cwd: template, env: {...env, TERM: 'xterm'}})
        }
      }
      log(`progress N=${n} run ${rep} done`)
    }
    if (!process.env.BENCH_KEEP) rmSync(template, {recursive: true, force: true})
  }
}
