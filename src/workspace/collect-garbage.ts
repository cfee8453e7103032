/**
 * A full garbage collection at the moment a large run lets go of most of what it held. V8 sets the
 * heap's next limit from what is live at its last full collection, up to four times that while the
 * process spends little time collecting; the last one before a migration of 100,000 secrets ran
 * while the plan was being made (the manifests, every row, every fingerprint live, ~135 MiB), and
 * the heap then grew to ~540 MiB during the migration, although it needed a third of it
 * (docs/performance.md, peak RSS at 100,000). Collected once the plan is made and what made it is
 * dropped, the limit follows what the apply holds. Node gives `gc` only to code run with
 * `--expose-gc`; the flag set at run time gives it to a new context.
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
