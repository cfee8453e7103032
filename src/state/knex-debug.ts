/**
 * Keeps knex's debug output off. knex logs through the `debug` package, so `DEBUG=knex:*` or
 * `DEBUG=*` would print every statement's bindings (`knex:bindings`, `knex:query`): plaintext
 * values and freshly minted tokens. knex's own `log` option does not cover these namespaces, so
 * this turns them off in the copy of `debug` that knex loads, and keeps them off when anything
 * enables debug output later (`-knex:*` is appended to whatever is enabled). Other namespaces
 * (oclif's) still print. Called by the modules that load knex (open-knex-state.ts, sqliteKnex), not
 * on import: a reading run on SQLite loads no knex and need not load its `debug` either.
 */
import {createRequire} from 'node:module'

interface DebugModule {
  enable(namespaces: string): void
  disable(): string
}

/**
 * knex's logger, for every knex instance secretctl creates: knex logs to stdout by default (it
 * would corrupt `--json` output) and its `debug` option prints bindings. Its errors reach us as
 * exceptions; its logs are dropped.
 */
export const SILENT_LOG = {warn() {}, error() {}, deprecate() {}, debug() {}}

const OFF = '-knex:*'
const MARK = Symbol.for('secretctl.knex-debug-off')

/** `namespaces` with every knex namespace skipped. */
export function withoutKnex(namespaces: string): string {
  return namespaces ? `${namespaces},${OFF}` : ''
}

/** The `debug` module knex resolves (a nested copy or the hoisted one). */
function knexDebugModule(): DebugModule {
  const fromHere = createRequire(import.meta.url)
  return createRequire(fromHere.resolve('knex'))('debug') as DebugModule
}

export function silenceKnexDebug(debug: DebugModule = knexDebugModule()): void {
  const marked = debug as DebugModule & {[MARK]?: true}
  if (marked[MARK]) return
  const enable = debug.enable.bind(debug)
  debug.enable = (namespaces: string) => enable(withoutKnex(namespaces ?? ''))
  marked[MARK] = true
  // `enable` also writes process.env.DEBUG (for child processes); leave the user's value as it was.
  const before = process.env.DEBUG
  try {
    debug.enable(debug.disable())
  } finally {
    if (before === undefined) delete process.env.DEBUG
    else process.env.DEBUG = before
  }
}
