/**
 * Waiting for an event in a test without guessing how long it takes. `within` bounds a promise
 * that settles on the event; `waitFor` polls a condition another process makes true (a row in a
 * database, a process gone), for lack of a notification. Both bounds are hang detectors, not
 * assertions: generous, so that a loaded machine never trips them, and failing with what was
 * awaited rather than a bare test timeout.
 */
import {setTimeout as sleep} from 'node:timers/promises'

/** The default bound: far above any wait a loaded machine needs (a CLI run's start and plan), below vitest's test timeout. */
export const GENEROUS_MS = 180_000

/** `promise`, or an error naming `what` once `ms` have passed without it settling. */
export async function within<T>(promise: Promise<T>, what: string, ms = GENEROUS_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up after ${ms} ms waiting for ${what}`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Polls `check` until it returns a value other than undefined/false, and returns that value.
 * `stop` (checked first, each round) ends the wait early with an error: e.g. the process that
 * should make the condition true has exited.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  opts: {ms?: number; everyMs?: number; stop?: () => string | undefined} = {},
): Promise<T> {
  const deadline = Date.now() + (opts.ms ?? GENEROUS_MS)
  for (;;) {
    const stopped = opts.stop?.()
    if (stopped) throw new Error(`stopped waiting for ${what}: ${stopped}`)
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`gave up after ${opts.ms ?? GENEROUS_MS} ms waiting for ${what}`)
    await sleep(opts.everyMs ?? 25)
  }
}
