/**
 * Runs the command `exec` was given, as a shell would: stdio inherited, SIGINT/SIGTERM/SIGHUP
 * forwarded to the child, and its exit status passed on (128 + the signal's number when a signal
 * ended it). A command that cannot be started is a UsageError naming it.
 */
import {spawn} from 'node:child_process'
import {constants} from 'node:os'
import {UsageError} from '../errors.js'

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

export function runChild(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {env, stdio: 'inherit'})
    const forward = (signal: NodeJS.Signals) => () => {
      child.kill(signal)
    }
    const handlers = FORWARDED.map((signal) => [signal, forward(signal)] as const)
    for (const [signal, handler] of handlers) process.on(signal, handler)
    const done = () => {
      for (const [signal, handler] of handlers) process.off(signal, handler)
    }
    child.once('error', (err: NodeJS.ErrnoException) => {
      done()
      const why =
        err.code === 'ENOENT' ? 'command not found' : err.code === 'EACCES' ? 'permission denied' : (err.code ?? 'failed to start')
      reject(new UsageError(`could not run ${command}: ${why}`, 'check the command after --'))
    })
    child.once('exit', (code, signal) => {
      done()
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0))
    })
  })
}
