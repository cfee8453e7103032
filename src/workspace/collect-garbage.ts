/**
 * The heap's size during a large run. V8 sets the heap's next limit from what is live at its last
 * full collection, up to four times that while the process spends little time collecting
 * (docs/performance.md, peak RSS at 100,000).
 *
 * A full collection at the moment a large run lets go of most of what it held: the last one before
 * a migration of 100,000 secrets ran while the plan was being made (the manifests, every row, every
 * fingerprint live, ~135 MiB), and the heap then grew to ~540 MiB during the migration, although it
 * needed a third of it. Collected once the plan is made and what made it is dropped, the limit
 * follows what the apply holds. Node gives `gc` only to code run with `--expose-gc`; the flag set
 * at run time gives it to a new context.
 *
 * While a large project is planned, what is live only grows (declarations, rows, fingerprints, the
 * plan), and the heap grew to about twice what planning held at its end: with the heap bounded to
 * 30 % over what is live, the move of 100,000 peaked ~60 MiB lower and `plan` ~85 MiB, for a few
 * more full collections (docs/performance.md, sixth round). V8 reads the flag at each collection.
 */
import v8 from 'node:v8'
import vm from 'node:vm'

let collect: (() => void) | undefined

export function collectGarbage(): void {
  if (!collect) {
    v8.setFlagsFromString('--expose-gc')
    collect = vm.runInNewContext('gc') as () => void
  }
  collect()
}

/** Bytes of the heap in use now, garbage included (no collection is made to know it). */
export function heapInUse(): number {
  return v8.getHeapStatistics().used_heap_size
}

let bounded = false

/** Bounds the heap's growth to 30 % over what is live (true), or gives V8 back its own rule (false; nothing when not bounded here). */
export function boundHeapGrowth(bound: boolean): void {
  if (bound === bounded) return
  bounded = bound
  v8.setFlagsFromString(`--heap-growing-percent=${bound ? 30 : 0}`)
}
