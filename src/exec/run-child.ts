/**
 * Runs the command `exec` was given, as a shell would: stdin inherited, SIGINT/SIGTERM/SIGHUP
 * forwarded to the child, and its exit status passed on (128 + the signal's number when a signal
 * ended it). With values to mask, each of stdout and stderr that is not a terminal goes through a
 * pipe and an OutputMasker (a terminal is the user's own screen, as `op run` leaves it); the rest
 * is inherited. A command that cannot be started is a UsageError naming it.
 */
import {spawn} from 'node:child_process'
import {constants} from 'node:os'
import type {Readable} from 'node:stream'
import {UsageError} from '../errors.js'
import {OutputMasker} from './output-masker.js'

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** Where the child's output goes (the process's own streams; tests give others). */
export interface ChildOutput {
  stdout: NodeJS.WritableStream & {isTTY?: boolean}
  stderr: NodeJS.WritableStream & {isTTY?: boolean}
}

export interface ChildOptions {
  /** Values to replace by `***` in output that is not a terminal; none or empty: no masking. */
  mask?: readonly string[]
  output?: ChildOutput
}

export function runChild(command: string, args: string[], env: NodeJS.ProcessEnv, opts: ChildOptions = {}): Promise<number> {
  const output = opts.output ?? {stdout: process.stdout, stderr: process.stderr}
  const masking = (opts.mask?.length ?? 0) > 0
  const pipeOut = masking && !output.stdout.isTTY
  const pipeErr = masking && !output.stderr.isTTY
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {env, stdio: ['inherit', pipeOut ? 'pipe' : 'inherit', pipeErr ? 'pipe' : 'inherit']})
    const copied = [
      pipeOut && child.stdout ? copyMasked(child.stdout, output.stdout, opts.mask ?? []) : Promise.resolve(),
      pipeErr && child.stderr ? copyMasked(child.stderr, output.stderr, opts.mask ?? []) : Promise.resolve(),
    ]
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
      const status = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)
      // Everything the child wrote is passed on before the status is.
      void Promise.all(copied).then(() => resolve(status))
    })
  })
}

/** Copies `from` to `to` through a masker, with backpressure; resolves when `from` has ended and the rest is written. */
function copyMasked(from: Readable, to: NodeJS.WritableStream, values: readonly string[]): Promise<void> {
  const masker = new OutputMasker(values)
  // A reader that went away (EPIPE) must not kill secretctl before the child's status is known.
  const ignore = () => {}
  to.on('error', ignore)
  return new Promise((resolve) => {
    const write = (bytes: Buffer, then?: () => void) => {
      if (bytes.length === 0) return then?.()
      if (!to.write(bytes, () => then?.()) && !then) {
        from.pause()
        to.once('drain', () => from.resume())
      }
    }
    from.on('data', (chunk: Buffer) => write(masker.push(chunk)))
    from.once('end', () => write(masker.end(), resolve))
    from.once('error', () => resolve())
  })
}
