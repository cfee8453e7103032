/**
 * `exec` hands secret values to a child process in its environment, and Node prints the options
 * of every process it spawns, environment included, when NODE_DEBUG names `child_process` (or
 * `*`). Node reads NODE_DEBUG once, at startup, so nothing in the running process can turn that
 * off: `exec` refuses to run with it instead of printing the values.
 */
import {debuglog} from 'node:util'
import {UsageError} from '../errors.js'

export function refuseChildProcessDebug(): void {
  if (!debuglog('child_process').enabled) return
  throw new UsageError(
    'NODE_DEBUG names child_process, which makes Node print the environment of the command exec runs: its secret values',
    'run exec without NODE_DEBUG (or with child_process left out of it)',
  )
}
