/**
 * Whether a process has exited, for tests that check a server or a killed child is gone. A zombie
 * has exited (its sockets and files are closed) but still answers `kill(pid, 0)`; in a container
 * whose pid 1 does not reap orphans it stays one, so the state in /proc decides where there is one.
 */
import {readFileSync} from 'node:fs'

export function processExited(pid: number): boolean {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && process.platform === 'linux') return true
    return !signalReaches(pid) // no /proc here
  }
  // "pid (comm) S …": the state follows the last ')' (comm may hold parentheses).
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
  return state === 'Z' || state === 'X'
}

function signalReaches(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
