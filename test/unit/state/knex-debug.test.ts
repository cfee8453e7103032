/**
 * knex's debug namespaces print statement bindings (values, tokens): they stay off whatever enables
 * debug output, before or after the module that loads knex is loaded; other namespaces are left alone.
 */
import {createRequire} from 'node:module'
import {afterEach, describe, expect, it} from 'vitest'
import '../../../src/state/open-knex-state.js'
import {withoutKnex} from '../../../src/state/knex-debug.js'

interface Debug {
  (namespace: string): {enabled: boolean}
  enable(namespaces: string): void
  disable(): string
}

/** The copy of `debug` that knex itself loads. */
const here = createRequire(import.meta.url)
const debug = createRequire(here.resolve('knex'))('debug') as Debug

afterEach(() => {
  debug.disable()
})

describe('knex debug output', () => {
  it('stays off when DEBUG enables knex or everything; other namespaces still print', () => {
    for (const namespaces of ['knex:*', 'knex:bindings,knex:query', '*', 'knex:*,oclif:*']) {
      debug.enable(namespaces)
      for (const ns of ['knex:bindings', 'knex:query', 'knex:tx', 'knex:client', 'knex:pool'])
        expect(debug(ns).enabled, `${namespaces}: ${ns}`).toBe(false)
    }
    debug.enable('*')
    expect(debug('oclif:config').enabled).toBe(true)
  })

  it('skips knex in any namespace list, and enables nothing for an empty one', () => {
    expect(withoutKnex('*')).toBe('*,-knex:*')
    expect(withoutKnex('')).toBe('')
  })
})
