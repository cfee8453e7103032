/**
 * Stops a standalone test server when whatever started it goes away, so a killed test run leaves
 * no server behind. `npm run onepassword:dev` puts npm, a shell and tsx between the starter and
 * this process, and a SIGKILLed starter takes none of them down, so watching only the direct
 * parent is not enough: on Linux the whole chain of ancestors (below init) is recorded at start
 * from /proc, each with its start time, and the watch fires as soon as one of them is gone (or
 * its pid was reused). Elsewhere only a change of `process.ppid` (reparenting) is watched.
 */
import {readFileSync} from 'node:fs'

interface Ancestor {
  pid: number
  startTime: string
}

/** `ppid` and start time of a process from /proc/PID/stat, or null when it is gone or /proc is absent. */
function procStat(pid: number): {ppid: number; startTime: string} | null {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null
  }
  // The command name (field 2) is in parentheses and may contain spaces; fields after it are plain.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // rest[0] is field 3 (state): ppid is field 4, starttime field 22.
  return {ppid: Number(rest[1]), startTime: rest[19] ?? ''}
}

function ancestors(): Ancestor[] {
  const out: Ancestor[] = []
  let pid = process.ppid
  for (let depth = 0; depth < 64 && pid > 1; depth++) {
    const stat = procStat(pid)
    if (!stat) break
    out.push({pid, startTime: stat.startTime})
    pid = stat.ppid
  }
  return out
}

/** Calls `onGone` once when the starting process tree is broken; returns a function that stops watching. */
export function watchParents(onGone: (reason: string) => void, intervalMs = 500): () => void {
  const initialPpid = process.ppid
  const chain = ancestors()
  let stopped = false
  const timer = setInterval(() => {
    if (stopped) return
    let reason: string | null = null
    if (process.ppid !== initialPpid) reason = `parent process ${initialPpid} exited`
    for (const a of chain) {
      if (reason) break
      const stat = procStat(a.pid)
      if (!stat || stat.startTime !== a.startTime) reason = `ancestor process ${a.pid} exited`
    }
    if (reason) {
      stopped = true
      clearInterval(timer)
      onGone(reason)
    }
  }, intervalMs)
  // The server's listening socket keeps the process alive, not this timer.
  timer.unref()
  return () => {
    stopped = true
    clearInterval(timer)
  }
}
