/**
 * The Argon2id cost an encrypted backend pays once per run: one key derivation with the default
 * parameters in a fresh process (the WASM module's compilation included, as in a CLI run), timed
 * in-process. Prints {"ms": …, "params": …} as its last line.
 *
 * usage: node bench/baselines/derive-key.js
 */
import {DEFAULT_ARGON2ID, deriveKey, newKdfSpec} from '../../dist/src/backends/encrypted/key-derivation.js'

const t0 = process.hrtime.bigint()
await deriveKey('bench-password', newKdfSpec(DEFAULT_ARGON2ID))
const ms = Number(process.hrtime.bigint() - t0) / 1e6
process.stdout.write(`${JSON.stringify({ms, params: DEFAULT_ARGON2ID})}\n`)
