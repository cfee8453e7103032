/** The yes/no question apply asks at a terminal, Terraform-style: only "yes" goes ahead; Ctrl-C cancels. */
import {createInterface} from 'node:readline/promises'
import {CancelledError, UsageError} from '../../src/errors.js'

const CANCELLED = 'Apply cancelled; nothing changed.'

export async function confirm(question: string, cancelled = CANCELLED): Promise<boolean> {
  const rl = createInterface({input: process.stdin, output: process.stdout})
  const interrupted = new AbortController()
  rl.once('SIGINT', () => interrupted.abort())
  try {
    return (await rl.question(question, {signal: interrupted.signal})).trim() === 'yes'
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw new CancelledError(cancelled)
    throw err
  } finally {
    rl.close()
  }
}

/**
 * apply's approval: none needed with --auto-approve or a saved plan; else a question at a
 * terminal, and a refusal (changing nothing) anywhere else. A "no" is a cancellation.
 */
export function approval(opts: {autoApprove: boolean; saved: boolean; json: boolean}): (() => Promise<boolean>) | undefined {
  if (opts.autoApprove || opts.saved) return undefined
  return async () => {
    if (opts.json || !process.stdin.isTTY || !process.stdout.isTTY) {
      throw new UsageError(
        'refusing to apply without confirmation: not running at a terminal',
        'review the plan, then re-run with --auto-approve, or apply a saved plan file',
      )
    }
    if (!(await confirm('Apply these changes? Only "yes" is accepted: '))) throw new CancelledError(CANCELLED, 'declined')
    return true
  }
}
