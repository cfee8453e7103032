// Loads the third-party CommonJS packages every run needs (@oclif/core, knex, yaml) from dist/bundle/vendor/,
// where scripts/bundle.js puts each as one CommonJS file with a V8 code cache beside it. Node 20 has no compile
// cache for modules (22 does), but vm.Script takes V8's cached data: the bytecode of the file's code as the build
// ran it, so a run skips most of compiling it again (docs/performance.md, "Third round").
// Copied to dist/bundle/vendor/loader.js by scripts/bundle.js; scripts/write-vendor-caches.js writes the caches. bin/run.js
// imports it before the bundle, and the bundle reaches it through a global: the bundle's chunks sit at several
// depths, so none of them could name this file by one relative path.
import {readFileSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import vm from 'node:vm'

/** This file's directory: dist/bundle/vendor/. */
const vendorDir = path.dirname(fileURLToPath(import.meta.url))

/**
 * What the build renamed the packages' import() calls to (scripts/bundle.js): code compiled by vm has no import()
 * of its own (Node 20 offers one only as an experimental feature, and loses it when the code comes from a cache).
 * They import absolute file URLs (oclif its commands), so this module's import() serves.
 */
export const IMPORT = '__secretctlImport'
const importFromHere = (specifier) => import(specifier)

/**
 * module.exports of vendor/NAME.cjs. NAME is `package-HASH`, HASH from the file's content (scripts/bundle.js), and
 * so is its cache's name: V8 itself checks only the source's length, so a rebuilt file never meets the cache of
 * another text. (Not the file's size and time: npm sets every packed file's time to one date.) Loaded once per
 * process, as require() would: a command built apart from the others (scripts/bundle.js, APART) has modules of its own
 * for the packages, and two copies of @oclif/core would not know each other's errors.
 */
export function loadVendor(name) {
  const known = loaded.get(name)
  if (known) return known
  const file = path.join(vendorDir, `${name}.cjs`)
  const cache = path.join(vendorDir, `${name}.cache`)
  let cachedData
  try {
    cachedData = readFileSync(cache)
  } catch {
    // No cache (the build writes it last): compiled as Node would.
  }
  const source = `(function (exports, require, module, __filename, __dirname, ${IMPORT}) {${readFileSync(file, 'utf8')}\n})`
  const script = new vm.Script(source, {filename: file, cachedData})
  const module = {exports: {}}
  script.runInThisContext()(module.exports, createRequire(file), module, file, vendorDir, importFromHere)
  compiled.set(cache, script)
  loaded.set(name, module.exports)
  return module.exports
}

/** module.exports of each file loaded in this process, by name. */
const loaded = new Map()

/** Each file compiled in this process, by the cache file it would have. */
const compiled = new Map()

/**
 * For the build (scripts/write-vendor-caches.js): writes the code cache of each file this process compiled,
 * taken at exit, so that it holds every function the run compiled, not only the files' top-level code.
 */
export function writeVendorCaches() {
  for (const [cache, script] of compiled) writeFileSync(cache, script.createCachedData())
  const probe = new vm.Script(PROBE)
  probe.runInThisContext()
  writeFileSync(path.join(vendorDir, 'probe.cache'), probe.createCachedData())
}

/** A one-line script whose cache the build writes with the others, for cachesUsable. */
const PROBE = '(function secretctlProbe() { return 1 })'
let usable

/**
 * Whether this process can use the caches the build wrote: V8 refuses a cache made by another V8 version, with other
 * V8 flags or on a CPU with other features, and a file compiled without one costs its whole compile. Asked of the
 * probe's cache (half a millisecond at most), so that a caller can take a path that needs no cache instead
 * (scripts/bundle.js: exec). True in the build's own runs (scripts/vendor-cache-hook.js), which write the caches.
 */
export function cachesUsable() {
  if (usable === undefined) {
    try {
      usable = !new vm.Script(PROBE, {cachedData: readFileSync(path.join(vendorDir, 'probe.cache'))}).cachedDataRejected
    } catch {
      usable = false
    }
  }
  return usable
}

/** For scripts/vendor-cache-hook.js: this run writes the caches, so it compiles what they are for. */
export function writingCaches() {
  usable = true
}

/** The name the bundle's modules for these packages read (scripts/bundle.js, vendorModules). */
globalThis[Symbol.for('secretctl.vendor')] = {load: loadVendor, cachesUsable}
