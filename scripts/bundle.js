// Bundles the built CLI (dist/, from tsc) with esbuild into dist/bundle/: one entry that runs oclif
// (dist/bundle/run.js, what bin/run.js imports) and one per command (dist/bundle/commands/, oclif's command
// target), sharing chunks (dist/bundle/chunks/). Node then reads a few large files instead of resolving, reading
// and compiling some 900 small ones on every start: the fixed cost of a run was mostly module loading
// (docs/performance.md, "Where the time went"). A dynamic import() stays lazy: it becomes a chunk of its own.
// Run by `npm run build`, after tsc and write-validators.js.
import {copyFileSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {createHash} from 'node:crypto'
import {createRequire} from 'node:module'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {build} from 'esbuild'
import {IMPORT} from './vendor-loader.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const outdir = path.join(root, 'dist/bundle')
const require = createRequire(import.meta.url)

/** Native bindings and database drivers: loaded from node_modules at run time, and only by the runs that use them. */
const EXTERNAL = ['sqlite3', 'pg', 'pg-native', 'pg-query-stream', '@napi-rs/keyring']
/** knex's dialects secretctl never uses: left out (knex loads a dialect only when a client of it is made). */
const UNUSED_DIALECTS = [
  'better-sqlite3',
  'cockroachdb',
  'mssql',
  'mysql',
  'mariadb',
  'mysql2',
  'oracle',
  'oracledb',
  'pgnative',
  'redshift',
]

function commandEntries(dir = path.join(root, 'dist/commands'), prefix = 'commands') {
  const out = {}
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name)
    if (statSync(file).isDirectory()) {
      if (name !== '_shared') Object.assign(out, commandEntries(file, `${prefix}/${name}`))
    } else if (name.endsWith('.js')) out[`${prefix}/${name.slice(0, -3)}`] = file
  }
  return out
}

/** Third-party CommonJS packages nearly every run loads, kept out of the chunks: see scripts/vendor-loader.js. */
const VENDOR = {'@oclif/core': 'oclif-core', knex: 'knex', yaml: 'yaml'}

/**
 * knex's unused dialects (a module that says so instead), and knex's copy of `debug`, handed to knex already
 * silenced for its namespaces, as src/state/knex-debug.ts does for the copy an unbundled knex loads (they print
 * statement bindings: values and tokens). For the knex vendor file.
 */
const knexTrims = {
  name: 'knex-trims',
  setup(b) {
    const knexDir = path.dirname(require.resolve('knex/package.json'))
    const knexDebug = createRequire(path.join(knexDir, 'package.json')).resolve('debug')
    b.onResolve({filter: /^debug$/}, (args) =>
      args.importer.startsWith(knexDir + path.sep) ? {path: 'knex-debug', namespace: 'secretctl'} : undefined,
    )
    b.onResolve({filter: /^\.\/[\w-]+$/}, (args) =>
      args.importer === path.join(knexDir, 'lib/dialects/index.js') && UNUSED_DIALECTS.includes(args.path.slice(2))
        ? {path: args.path.slice(2), namespace: 'secretctl-unused-dialect'}
        : undefined,
    )
    b.onLoad({filter: /.*/, namespace: 'secretctl-unused-dialect'}, (args) => ({
      contents: `throw new Error('knex dialect ${args.path} is not part of secretctl')`,
      loader: 'js',
    }))
    b.onLoad({filter: /^knex-debug$/, namespace: 'secretctl'}, () => ({
      contents: [
        `const debug = require(${JSON.stringify(knexDebug)})`,
        `require(${JSON.stringify(path.join(root, 'dist/src/state/knex-debug.js'))}).silenceKnexDebug(debug)`,
        'module.exports = debug',
      ].join('\n'),
      resolveDir: root,
      loader: 'js',
    }))
  },
}

/** The run entry (a virtual module), and each VENDOR package as a module that loads its vendor file. */
const secretctlModules = {
  name: 'secretctl-modules',
  setup(b) {
    b.onResolve({filter: /^secretctl:run$/}, () => ({path: 'run', namespace: 'secretctl'}))
    b.onLoad({filter: /^run$/, namespace: 'secretctl'}, () => ({
      // The package root and its package.json given, as oclif's Config takes them: oclif would otherwise find the root
      // by walking up from this file and read package.json itself. No plugin can be installed by a user (no
      // plugin-plugins), so oclif need not look for a user's plugin list.
      contents: [
        "import {execute} from '@oclif/core'",
        "import {readFileSync} from 'node:fs'",
        "import {fileURLToPath} from 'node:url'",
        "const root = fileURLToPath(new URL('../..', import.meta.url))",
        "const pjson = JSON.parse(readFileSync(`${root}/package.json`, 'utf8'))",
        'await execute({loadOptions: {root, pjson, userPlugins: false}})',
      ].join('\n'),
      resolveDir: root,
      loader: 'js',
    }))
    const names = Object.keys(VENDOR).map((n) => n.replace(/[/.]/g, '\\$&'))
    b.onResolve({filter: new RegExp(`^(${names.join('|')})$`)}, (args) => ({path: vendorFiles[args.path], namespace: 'secretctl-vendor'}))
    b.onLoad({filter: /.*/, namespace: 'secretctl-vendor'}, (args) => {
      const name = JSON.stringify(args.path)
      const shape = vendorShapes[args.path]
      const head = [
        "const vendor = globalThis[Symbol.for('secretctl.vendor')]",
        `if (!vendor) throw new Error('dist/bundle/ runs through bin/run.js, which loads dist/bundle/vendor/loader.js first')`,
      ]
      if (!shape) return {contents: [...head, `module.exports = vendor.load(${name})`].join('\n'), loader: 'js'}
      // An object of exports: each a getter that loads the file on first use, then a plain property. A module that
      // imports the package no longer loads it: `exec` without a secretctl.yaml never uses `yaml`.
      return {
        contents: [
          ...head,
          `const names = ${JSON.stringify(shape.names)}`,
          'function load() {',
          `  const real = vendor.load(${name})`,
          '  for (const n of names) Object.defineProperty(exports, n, {value: real[n], enumerable: true, writable: false})',
          '  return real',
          '}',
          ...(shape.esModule ? ["Object.defineProperty(exports, '__esModule', {value: true})"] : []),
          'for (const n of names) Object.defineProperty(exports, n, {get: () => load()[n], enumerable: true, configurable: true})',
        ].join('\n'),
        loader: 'js',
      }
    })
  },
}

/**
 * A package loaded with import() becomes a chunk of its own, but when it is CommonJS esbuild gives that chunk
 * only a default export, where Node gives its named exports too (found by cjs-module-lexer): `const {Pool} =
 * await import('undici')` would get nothing. Such an import gets a module that names the exports.
 */
const namedExportsOfCommonJs = {
  name: 'named-exports-of-commonjs',
  setup(b) {
    const probing = Symbol('probing')
    b.onResolve({filter: /^[@\w]/}, async (args) => {
      if (args.kind !== 'dynamic-import' || EXTERNAL.includes(args.path) || args.pluginData === probing) return undefined
      // The file esbuild itself picks (its `module` field first), loaded as Node would load it.
      const resolved = await b.resolve(args.path, {kind: 'dynamic-import', resolveDir: args.resolveDir, pluginData: probing})
      if (resolved.errors.length > 0 || !resolved.path) return undefined
      let exports
      try {
        exports = createRequire(resolved.path)(resolved.path)
      } catch {
        return undefined // ES module syntax: esbuild keeps its exports
      }
      // An ES module (Node 20 can require() one, and gives its namespace): esbuild keeps its exports.
      if (exports?.[Symbol.toStringTag] === 'Module') return undefined
      const names = Object.keys(exports).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default')
      return {path: args.path, namespace: 'commonjs-exports', pluginData: {names, resolveDir: args.resolveDir}}
    })
    // require(), not `import m from`: a package marked __esModule (eciesjs) would give esbuild's `m` its
    // `exports.default`, undefined there, where Node's import() gives module.exports as the default.
    b.onLoad({filter: /.*/, namespace: 'commonjs-exports'}, (args) => ({
      contents: `const m = require(${JSON.stringify(args.path)})\nexport default m\nexport const {${args.pluginData.names.join(', ')}} = m\n`,
      resolveDir: args.pluginData.resolveDir,
      loader: 'js',
    }))
  },
}

/**
 * Two of Node's own modules, as the chunks import them. An ES module import of a builtin makes Node build a facade that
 * reads every export once, getters included: for `node:process` (chalk's supports-color imports it) that computes
 * process.allowedNodeEnvironmentFlags, 3.6 ms against 0.4 for `node:os`; here its default export is the global
 * `process` (a named import fails the build). And the builtins in LAZY_BUILTINS are required on the first use of an
 * export, through the chunks' `require` (the banner's): Node has not loaded them at start, and many runs never use them
 * (`exec` on a plaintext backend computes no HMAC; `node:crypto` takes 2.7 ms to load). Each importer gets a module of
 * its own, so that it lands in its importer's chunk instead of a chunk of its own. The other builtins stay ES module
 * imports: the same treatment for all of them cost `exec` 2.4 ms more than it saved (esbuild copies every export of a
 * CommonJS module into each importer).
 */
const LAZY_BUILTINS = new Set(['crypto', 'readline', 'readline/promises'])
const someBuiltins = {
  name: 'some-builtins',
  setup(b) {
    b.onResolve({filter: /^(node:)?[a-z_/]+$/}, (args) => {
      const name = args.path.replace(/^node:/, '')
      if (args.kind !== 'import-statement' || !(name === 'process' || LAZY_BUILTINS.has(name))) return undefined
      return {path: `${name}?${args.importer}`, namespace: 'node-builtin', pluginData: name}
    })
    b.onLoad({filter: /.*/, namespace: 'node-builtin'}, (args) => {
      const name = args.pluginData
      if (name === 'process') return {contents: 'export default process', loader: 'js'}
      const names = Object.keys(require(`node:${name}`))
      return {
        contents: [
          'let real',
          `for (const n of ${JSON.stringify(names)})`,
          `  Object.defineProperty(exports, n, {get: () => (real ??= require('node:${name}'))[n], enumerable: true})`,
        ].join('\n'),
        loader: 'js',
      }
    })
  },
}

rmSync(outdir, {recursive: true, force: true})

// Each VENDOR package as one CommonJS file, vendor/PACKAGE-HASH.cjs (scripts/vendor-loader.js;
// scripts/write-vendor-caches.js writes the caches).
const vendorDir = path.join(outdir, 'vendor')
/** Package name → its file's name without `.cjs`, which the modules of secretctlModules load. */
const vendorFiles = {}
/** File name (as in vendorFiles) → its export names, for a file whose module.exports is a plain object (not knex's function). */
const vendorShapes = {}
/** Builds `contents` as one CommonJS file in vendor/, named NAME-HASH.cjs, HASH of its content; returns NAME-HASH. */
async function vendorFile(name, {contents, plugins = [], define = {}, keepNames = true}) {
  const {outputFiles} = await build({
    stdin: {contents, resolveDir: root, loader: 'js'},
    outfile: path.join(vendorDir, `${name}.cjs`),
    write: false,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // As the chunks resolve packages (see the main build below).
    mainFields: ['module', 'main'],
    external: EXTERNAL,
    // ES module code inside (src/state/knex-debug.js, via knexTrims) asks for its own URL: the vendor file's.
    banner: {js: "const __secretctlMetaUrl = require('node:url').pathToFileURL(__filename).href;"},
    define: {'import.meta.url': '__secretctlMetaUrl', ...define},
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames,
    legalComments: 'eof',
    plugins,
    logLevel: 'warning',
  })
  // import(x) → __secretctlImport(x) (scripts/vendor-loader.js, IMPORT); `'import()'` in a message stays.
  const code = outputFiles[0].text.replace(/(?<![\w$.'"`])import\((?!\))/g, `${IMPORT}(`)
  const named = `${name}-${createHash('sha256').update(code).digest('hex').slice(0, 16)}`
  mkdirSync(vendorDir, {recursive: true})
  writeFileSync(path.join(vendorDir, `${named}.cjs`), code)
  return named
}

for (const [pkg, name] of Object.entries(VENDOR)) {
  vendorFiles[pkg] = await vendorFile(name, {
    contents: `module.exports = require(${JSON.stringify(pkg)})`,
    plugins: pkg === 'knex' ? [knexTrims] : [],
    // keepNames wraps every function yaml creates in a call that sets its name, closures made per node among them:
    // a tenth of parsing 10,000 manifests. Nothing reads yaml's function names, and identifiers are not minified.
    keepNames: pkg !== 'yaml',
    // @oclif/core's index checks the Node version against its own package.json, which is not beside the
    // vendor file: the check always failed silently, after loading semver. Skipped instead.
    define: pkg === '@oclif/core' ? {'process.env.OCLIF_DISABLE_ENGINE_WARNING': '"1"'} : {},
  })
}
for (const named of Object.values(vendorFiles)) {
  const exports = require(path.join(vendorDir, `${named}.cjs`))
  if (typeof exports === 'object' && exports !== null)
    vendorShapes[named] = {names: Object.keys(exports), esModule: exports.__esModule === true}
}
copyFileSync(path.join(root, 'scripts/vendor-loader.js'), path.join(vendorDir, 'loader.js'))

/** The options of the build of the chunks. */
const chunked = {
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // jsonc-parser's `main` is a UMD build esbuild cannot follow; its `module` build is plain ESM.
  mainFields: ['module', 'main'],
  external: EXTERNAL,
  // CommonJS inside the bundle still calls require() for the externals.
  banner: {js: "import {createRequire as __secretctlRequire} from 'node:module'; const require = __secretctlRequire(import.meta.url);"},
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  plugins: [secretctlModules, namedExportsOfCommonJs, someBuiltins],
  logLevel: 'warning',
  metafile: true,
}

/**
 * `exec`, whose start every MCP server and CI step it launches pays (docs/performance.md, "Fourth round"), is also
 * built as one CommonJS file with a V8 code cache, as the vendor packages are: as ES modules its code is some 20 chunk
 * files that Node resolves, reads and compiles one by one. dist/bundle/commands/exec.js, the module oclif imports,
 * loads that file when this process can use the build's caches (vendor-loader.js, cachesUsable) and otherwise the ES
 * module build of the command, dist/bundle/exec-module.js: without its cache, the one file (all of secretctl's code
 * exec may import, inlined) costs more to compile than the chunks. One command runs per process, so the file's copies
 * of secretctl's modules meet no others; the vendor packages it uses are the ones the vendor loader loaded.
 */
const entries = commandEntries()
const {'commands/exec': execEntry, ...together} = entries
const result = await build({
  ...chunked,
  // scan's worker (src/scan/scan-worker.ts) is started from a file: it gets one, at the top (src/scan/scan-files.ts finds it there).
  entryPoints: {
    run: 'secretctl:run',
    'exec-module': execEntry,
    ...together,
    'scan-worker': path.join(root, 'dist/src/scan/scan-worker.js'),
  },
  chunkNames: 'chunks/[name]-[hash]',
})
/**
 * For exec's CommonJS file: a package exec imports dynamically (undici, age-encryption, hash-wasm, eciesjs, …) is the
 * chunk the build above made of it, not a copy inlined: 1.2 MB of the 2 MB the file would be, read on every run.
 * (import() in a vendor file is the loader's, so the path is relative to dist/bundle/vendor/.)
 */
const chunkOfPackage = new Map(
  Object.entries(result.metafile.outputs)
    .filter(([file, o]) => o.entryPoint && /^(commonjs-exports:|node_modules\/)/.test(o.entryPoint) && file.endsWith('.js'))
    .map(([file, o]) => [o.entryPoint, `../chunks/${path.basename(file)}`]),
)
const packageChunks = {
  name: 'package-chunks',
  setup(b) {
    const probing = Symbol('probing')
    b.onResolve({filter: /^[@\w]/}, async (args) => {
      if (args.kind !== 'dynamic-import' || args.pluginData === probing) return undefined
      const known = chunkOfPackage.get(`commonjs-exports:${args.path}`)
      if (known) return {path: known, external: true}
      const resolved = await b.resolve(args.path, {kind: 'dynamic-import', resolveDir: args.resolveDir, pluginData: probing})
      const chunk = resolved.path && chunkOfPackage.get(path.relative(root, resolved.path).split(path.sep).join('/'))
      return chunk ? {path: chunk, external: true} : undefined
    })
  },
}
const execFile = await vendorFile('exec', {
  contents: `module.exports = require(${JSON.stringify(execEntry)})`,
  plugins: [packageChunks, secretctlModules, someBuiltins],
})
writeFileSync(
  path.join(outdir, 'commands/exec.js'),
  [
    '// exec: the CommonJS build with its code cache when this process can use the caches, else the ES module build (scripts/bundle.js).',
    "const vendor = globalThis[Symbol.for('secretctl.vendor')]",
    `export default vendor.cachesUsable() ? vendor.load(${JSON.stringify(execFile)}).default : (await import('../exec-module.js')).default`,
    '',
  ].join('\n'),
)
// What went where, for tuning (esbuild's analyzer reads it too: https://esbuild.github.io/analyze/).
writeFileSync(path.join(outdir, 'metafile.json'), JSON.stringify(result.metafile))
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0)

console.log(
  `bundle: dist/bundle/ (${Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js')).length} files, ${(bytes / 2 ** 20).toFixed(1)} MiB)`,
)
