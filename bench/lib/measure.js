/**
 * Runs one process the way a user does and measures it: wall time (hrtime in this process, from
 * spawn to exit) and peak RSS of the child (GNU time's `%M`, the child's ru_maxrss in KB, read
 * from wait4 by /usr/bin/time). Every process has a hard timeout and is killed with its process
 * group when it runs over, so a run always ends.
 */
import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

const GNU_TIME = '/usr/bin/time'
export const HAVE_GNU_TIME = existsSync(GNU_TIME)
export const RSS_METHOD = HAVE_GNU_TIME
  ? 'GNU time -f "%M %U %S" (ru_maxrss of the child from wait4, KB; its user and system CPU seconds)'
  : 'unavailable (/usr/bin/time missing): peak RSS not measured'

const scratch = mkdtempSync(path.join(tmpdir(), 'secretctl-bench-rss-'))
let seq = 0

/** Keeps the last `max` characters of a stream (a 10,000-line plan must not pile up in memory). */
function tail(max) {
  let text = ''
  return {
    add(chunk) {
      text += chunk
      if (text.length > 2 * max) text = text.slice(-max)
    },
    get value() {
      return text.slice(-max)
    },
  }
}

/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {{cwd?: string, env?: NodeJS.ProcessEnv, timeoutMs?: number, keep?: number}} opts
 * @returns {Promise<{wallMs: number, maxRssKB: number | null, cpuMs: number | null, exitCode: number | null, signal: string | null, stdout: string, stderr: string, timedOut: boolean}>}
 */
export function measure(cmd, args, opts = {}) {
  const rssFile = path.join(scratch, `rss-${++seq}`)
  const argv = HAVE_GNU_TIME ? ['-f', '%M %U %S', '-o', rssFile, cmd, ...args] : args
  const exe = HAVE_GNU_TIME ? GNU_TIME : cmd
  const out = tail(opts.keep ?? 64 * 1024)
  const err = tail(16 * 1024)
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn(exe, argv, {cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true})
    let timedOut = false
    const timer = setTimeout(
      () => {
        timedOut = true
        try {
          process.kill(-child.pid, 'SIGKILL')
        } catch {}
      },
      opts.timeoutMs ?? 10 * 60_000,
    )
    child.stdout.setEncoding('utf8').on('data', (c) => out.add(c))
    child.stderr.setEncoding('utf8').on('data', (c) => err.add(c))
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on('close', (code, signal) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6
      clearTimeout(timer)
      let maxRssKB = null
      let cpuMs = null
      if (HAVE_GNU_TIME && existsSync(rssFile)) {
        // GNU time writes "Command exited with non-zero status N" before the values when the child fails.
        const lines = readFileSync(rssFile, 'utf8').trim().split('\n')
        const [rss, user, sys] = lines.at(-1).split(' ').map(Number)
        if (Number.isFinite(rss)) maxRssKB = rss
        // CPU time drifts less than wall time on a busy machine: a second view of the same change.
        if (Number.isFinite(user) && Number.isFinite(sys)) cpuMs = Math.round((user + sys) * 1000)
        rmSync(rssFile, {force: true})
      }
      resolve({wallMs, maxRssKB, cpuMs, exitCode: code, signal, stdout: out.value, stderr: err.value, timedOut})
    })
  })
}

export function cleanupScratch() {
  rmSync(scratch, {recursive: true, force: true})
}

/** Median, min and max of numbers (null entries skipped). */
export function stats(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b)
  if (!v.length) return null
  const mid = Math.floor(v.length / 2)
  const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2
  return {median, min: v[0], max: v.at(-1), n: v.length}
}
