/**
 * Splits a V8 .cpuprofile (from `node --cpu-prof`) into phases: each sample goes to the innermost
 * frame on its stack whose function is named in PHASES (or given on the command line), else to
 * "module loading" when the stack is in Node's module loader or a module's top-level code, else to
 * GC, idle or "other". Says where a short command's time goes, which top-self.js (self time per
 * function) does not: loading a package shows there as hundreds of small compile and resolve frames.
 *
 * usage: node bench/tools/phases.js FILE.cpuprofile [functionName,…]
 */
import {readFileSync} from 'node:fs'

const [file, names] = process.argv.slice(2)
if (!file) {
  process.stderr.write('usage: phases.js FILE.cpuprofile [functionName,…]\n')
  process.exit(2)
}
const PHASES = (
  names ??
  'loadManifests,resolveValues,openState,makePlan,computePlan,applyPlan,renderPlanText,execWithSecrets,runChild,validateDocuments,parseDocuments,compile'
).split(',')
const profile = JSON.parse(readFileSync(file, 'utf8'))
const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
const parent = new Map()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)

const isLoading = (cf) =>
  cf.url.startsWith('node:internal/modules') || (cf.url && cf.functionName === '' && cf.lineNumber === 0 && cf.columnNumber === 0)
const phaseOf = new Map()
function phase(id) {
  if (phaseOf.has(id)) return phaseOf.get(id)
  let result = null
  let loading = false
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const cf = nodes.get(cur).callFrame
    if (PHASES.includes(cf.functionName)) {
      result = cf.functionName
      break
    }
    if (isLoading(cf)) loading = true
  }
  const cf = nodes.get(id).callFrame
  const named = ['(garbage collector)', '(idle)', '(program)'].includes(cf.functionName) ? cf.functionName : null
  const p = named ?? (result ? `${result}${loading ? ' (module loading inside)' : ''}` : loading ? 'module loading' : 'other')
  phaseOf.set(id, p)
  return p
}
const totals = new Map()
let total = 0
for (let i = 0; i < profile.samples.length; i++) {
  const us = profile.timeDeltas[i] ?? 0
  const p = phase(profile.samples[i])
  totals.set(p, (totals.get(p) ?? 0) + us)
  total += us
}
console.log(`total ${(total / 1000).toFixed(0)} ms sampled`)
for (const [p, us] of [...totals].sort((a, b) => b[1] - a[1]))
  console.log(`  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${p}`)
