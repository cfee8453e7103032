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

/**
 * The question of a command whose `--force` skips it (`state unlock`, `state rm`): asked at a
 * terminal; anywhere else refused (nothing changes), since nobody is there to answer.
 */
export function askAtTerminal(
  refusal: string,
  kept: string,
  opts: {refuseAtOnce?: boolean} = {},
): (_: unknown, question: string) => Promise<boolean> {
  const refuse = () => new UsageError(refusal, 'add --force if you are sure')
  // Refused before the state is even opened, where nothing needs to be looked up first.
  if (opts.refuseAtOnce && !process.stdin.isTTY) throw refuse()
  return async (_, question) => {
    if (!process.stdin.isTTY) throw refuse()
    return confirm(question, kept)
  }
}
