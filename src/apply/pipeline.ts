/**
 * The secrets phase's pipeline: a change holds one of `slots` until its backend part is done, then
 * waits for its state write (a group commit) without holding one, so the backend keeps receiving
 * requests while a commit is slow. At most `awaitingCommit` changes wait so; the next change starts
 * only when one of them finishes.
 */
import pMap from 'p-map'

export interface PipelineBounds {
  /** Changes in their backend part at once. */
  slots: number
  /** Changes past their backend part, waiting for their commit, at once. */
  awaitingCommit: number
}

/**
 * Runs `run(item, index, backendDone)` for every item; `run` calls `backendDone` once its backend
 * requests are made (or never: its slot is then freed when it settles). Settles once every run
 * has, rejecting with the first failure.
 */
export async function runPipelined<T>(
  items: readonly T[],
  run: (item: T, index: number, backendDone: () => void) => Promise<void>,
  bounds: PipelineBounds,
): Promise<void> {
  const unfinished = new Set<Promise<void>>()
  // Changes started and not settled; at `slots + awaitingCommit` of them a freed slot waits for a settle.
  // A queue of wake-ups, not Promise.race over the waiting changes: that adds a reaction to each
  // of thousands of promises per call, and held gigabytes at 100,000.
  const room: Array<() => void> = []
  const bound = bounds.slots + bounds.awaitingCommit
  let failure: {error: unknown} | undefined
  await pMap(
    items,
    async (item, index) => {
      if (unfinished.size >= bound) await new Promise<void>((resolve) => room.push(resolve))
      let backendDone!: () => void
      const slotFree = new Promise<void>((resolve) => (backendDone = resolve))
      const change = run(item, index, backendDone).finally(backendDone)
      unfinished.add(change)
      const settled = () => {
        unfinished.delete(change)
        room.shift()?.()
      }
      change.then(settled, (error: unknown) => {
        failure ??= {error}
        settled()
      })
      await slotFree
    },
    {concurrency: bounds.slots},
  )
  // Every change was started (and added) before pMap settled, so one wait sees them all.
  await Promise.allSettled([...unfinished])
  if (failure) throw failure.error
}
