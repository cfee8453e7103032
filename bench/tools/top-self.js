/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): total sampled time, the share spent idle
 * (waiting on I/O, timers, the thread pool) and the top functions by self time, with the package
 * or file they come from.
 *
 * usage: node bench/tools/top-self.js FILE.cpuprofile [TOP=25]
 */
import {readFileSync} from 'node:fs'

const [file, topArg] = process.argv.slice(2)
if (!file) {
  process.stderr.write('usage: top-self.js FILE.cpuprofile [TOP]\n')
  process.exit(2)
}
const top = Number(topArg ?? 25)
const profile = JSON.parse(readFileSync(file, 'utf8'))
const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
const self = new Map()
const deltas = profile.timeDeltas
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]
  self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0))
}
const where = (url) => {
  if (!url) return ''
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (m) return m[1]
  return url.replace(/^file:\/\/.*?\/(dist|bin|bench)\//, '$1/').replace(/^node:/, 'node:')
}
const byFn = new Map()
let total = 0
for (const [id, us] of self) {
  const n = nodes.get(id)
  const cf = n.callFrame
  const key = `${cf.functionName || '(anonymous)'}  ${where(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ''}`
  byFn.set(key, (byFn.get(key) ?? 0) + us)
  total += us
}
const byPkg = new Map()
for (const [id, us] of self) {
  const cf = nodes.get(id).callFrame
  const k = cf.url
    ? where(cf.url)
        .split('/')
        .slice(0, cf.url.includes('node_modules') ? 1 : 2)
        .join('/')
    : cf.functionName
  byPkg.set(k, (byPkg.get(k) ?? 0) + us)
}
const pct = (us) => `${((100 * us) / total).toFixed(1)}%`
console.log(`total ${(total / 1e6).toFixed(2)} s sampled`)
console.log('\nby package / area:')
for (const [k, us] of [...byPkg].sort((a, b) => b[1] - a[1]).slice(0, 12))
  console.log(`  ${pct(us).padStart(6)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`)
console.log(`\ntop ${top} functions by self time:`)
for (const [k, us] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`  ${pct(us).padStart(6)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`)
