/**
 * Whether the process that holds the state lock is still running. The lock row names a host and
 * a pid; a pid alone is not enough, because pids are reused. So the row also records the kernel's
 * boot id and the process's start time (Linux: /proc/sys/kernel/random/boot_id and field 22 of
 * /proc/PID/stat, see proc(5)), and a pid that is now another process (started at another time or
 * in another boot) is not the holder. Where /proc is missing (macOS) only the pid is compared: a
 * reused pid then reads as a live holder, which refuses rather than takes over.
 *
 * The host is recognised by its hostname: two machines that share a state file and a hostname are
 * not told apart.
 */
import {readFileSync} from 'node:fs'
import {hostname} from 'node:os'

/** What the lock row records of the process that holds it. */
export interface HolderProcess {
  host: string
  pid: number
  /** The kernel boot the process ran in; null where unknown (no /proc, or a row from an older secretctl). */
  bootId?: string | null
  /** The process's start time, in clock ticks since boot; null where unknown. */
  started?: string | null
}

/**
 * `running`: on this host and alive; `gone`: was on this host and is no longer running;
 * `elsewhere`: on another host, so nothing here can tell.
 */
export type HolderStatus = 'running' | 'gone' | 'elsewhere'

/** This process, as a lock row records it. */
export function currentProcess(): Required<HolderProcess> {
  return {host: hostname(), pid: process.pid, bootId: bootId(), started: procStat(process.pid)?.started ?? null}
}

export function holderStatus(holder: HolderProcess): HolderStatus {
  if (holder.host !== hostname()) return 'elsewhere'
  const boot = bootId()
  if (holder.bootId && boot && holder.bootId !== boot) return 'gone'
  if (!pidExists(holder.pid)) return 'gone'
  const now = procStat(holder.pid)
  // A killed child its parent has not reaped yet is a zombie: it holds nothing any more.
  if (now?.state === 'Z') return 'gone'
  if (holder.started && now?.started && holder.started !== now.started) return 'gone'
  return 'running'
}

function pidExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it exists, owned by another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null
  } catch {
    return null
  }
}

/** State (field 3) and start time (field 22) from /proc/PID/stat; the command name (field 2) may hold spaces and parentheses. */
function procStat(pid: number): {state: string; started: string} | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  const state = fields[0]
  const started = fields[19]
  return state && started ? {state, started} : undefined
}
