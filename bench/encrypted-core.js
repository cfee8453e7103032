/**
 * `npm run bench:encrypted`: the cost of the encrypted backend's crypto core, in one process over
 * the built modules (dist/): the Argon2id derivation paid once per run (the first one in a process
 * includes compiling the WASM module), and AES-256-GCM seal/open per value at N = 1,000, plus a
 * whole-store rekey and a store-file write and read at that size. Prints a Markdown table.
 *
 * Environment: BENCH_ENC_N=1000 (values), BENCH_ENC_RUNS=5 (repetitions, the median is reported).
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {readStoreFile, writeStoreFile} from '../dist/src/backends/encrypted/file-store.js'
import {DEFAULT_ARGON2ID, deriveKey, newKdfSpec, TOOLHIVE_ARGON2ID} from '../dist/src/backends/encrypted/key-derivation.js'
import {rekeyDocument} from '../dist/src/backends/encrypted/rekey.js'
import {createStoreHeader, emptyStoreDocument} from '../dist/src/backends/encrypted/store-document.js'
import {ValueCipher} from '../dist/src/backends/encrypted/value-cipher.js'

const N = Number(process.env.BENCH_ENC_N ?? 1000)
const RUNS = Number(process.env.BENCH_ENC_RUNS ?? 5)
const PASSWORD = 'bench-password'

const now = () => process.hrtime.bigint()
const ms = (from) => Number(now() - from) / 1e6
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const range = (xs) => `${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}`

async function timeDerivation(params) {
  const times = []
  for (let i = 0; i < RUNS; i++) {
    const t = now()
    await deriveKey(PASSWORD, newKdfSpec(params))
    times.push(ms(t))
  }
  return times
}

const rows = []

// The very first derivation of the process: what a CLI run pays (WASM compile included).
let t = now()
await deriveKey(PASSWORD, newKdfSpec(DEFAULT_ARGON2ID))
rows.push(['Argon2id t=3 m=64 MiB p=4 (default), first in process', `${ms(t).toFixed(1)} ms`, 'once per run'])
const def = await timeDerivation(DEFAULT_ARGON2ID)
rows.push(['Argon2id t=3 m=64 MiB p=4 (default), warm', `${median(def).toFixed(1)} ms (${range(def)})`, `median of ${RUNS}`])
const thv = await timeDerivation(TOOLHIVE_ARGON2ID)
rows.push(["Argon2id t=2 m=19 MiB p=1 (ToolHive's), warm", `${median(thv).toFixed(1)} ms (${range(thv)})`, `median of ${RUNS}`])

const cipher = new ValueCipher('bench', await deriveKey(PASSWORD, newKdfSpec({timeCost: 1, memoryKiB: 1024, parallelism: 1})))
for (const size of [40, 1024]) {
  const value = 'v'.repeat(size)
  const seal = []
  const open = []
  let envelopes = []
  for (let r = 0; r < RUNS; r++) {
    t = now()
    envelopes = []
    for (let i = 0; i < N; i++) envelopes.push(cipher.seal(`secret-${i}`, 'KEY', value))
    seal.push((ms(t) * 1000) / N)
    t = now()
    for (let i = 0; i < N; i++) cipher.open(`secret-${i}`, 'KEY', envelopes[i])
    open.push((ms(t) * 1000) / N)
  }
  rows.push([`seal one ${size}-byte value (N=${N})`, `${median(seal).toFixed(1)} µs`, `median of ${RUNS} (${range(seal)})`])
  rows.push([`open one ${size}-byte value (N=${N})`, `${median(open).toFixed(1)} µs`, `median of ${RUNS} (${range(open)})`])
}

// A store of N secrets of one 40-byte key: rekey (in memory) and the file round trip.
const fast = {timeCost: 1, memoryKiB: 1024, parallelism: 1}
const {header, cipher: storeCipher} = await createStoreHeader('bench', PASSWORD, {params: fast})
const doc = emptyStoreDocument(header)
for (let i = 0; i < N; i++) doc.secrets[`secret-${i}`] = storeCipher.sealSecret(`secret-${i}`, {KEY: 'v'.repeat(40)})
const next = await createStoreHeader('bench', 'new-password', {params: fast})
const rekey = []
for (let r = 0; r < RUNS; r++) {
  t = now()
  rekeyDocument(doc, storeCipher, next)
  rekey.push(ms(t))
}
rows.push([
  `rekey a store of ${N} values (in memory, KDF excluded)`,
  `${median(rekey).toFixed(1)} ms`,
  `median of ${RUNS} (${range(rekey)})`,
])

const dir = mkdtempSync(path.join(tmpdir(), 'secretctl-bench-enc-'))
try {
  const file = path.join(dir, 'store.json')
  const write = []
  const read = []
  for (let r = 0; r < RUNS; r++) {
    t = now()
    await writeStoreFile(file, doc, {backend: 'bench'})
    write.push(ms(t))
    t = now()
    await readStoreFile(file, {backend: 'bench'})
    read.push(ms(t))
  }
  rows.push([
    `write the store file, ${N} values (temp, fsync, rename, fsync dir)`,
    `${median(write).toFixed(1)} ms`,
    `median of ${RUNS} (${range(write)})`,
  ])
  rows.push([`read and check the store file, ${N} values`, `${median(read).toFixed(1)} ms`, `median of ${RUNS} (${range(read)})`])
} finally {
  rmSync(dir, {recursive: true, force: true})
}

console.log(`Encrypted backend core, Node ${process.version}, ${process.platform}/${process.arch}\n`)
console.log('| what | time | note |\n| --- | --- | --- |')
for (const [what, time, note] of rows) console.log(`| ${what} | ${time} | ${note} |`)
