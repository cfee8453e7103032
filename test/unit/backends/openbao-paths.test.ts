/**
 * kvPathsOf (a config's mount and pathPrefix encoded once, for the driver's requests) gives the
 * paths kvPaths gives, for every shape of mount, prefix and name.
 */
import {describe, expect, it} from 'vitest'
import {kvPaths, kvPathsOf, type OpenBaoConfig} from '../../../src/backends/openbao/openbao-config.js'

const config = (mount: string, pathPrefix: string): OpenBaoConfig => ({
  url: 'http://127.0.0.1:1',
  tokenSecretRef: {name: 't', key: 'k'},
  mount,
  pathPrefix,
})

describe('kvPathsOf', () => {
  const configs = [
    config('secret', 'secretctl'),
    config('secret', ''),
    config('kv/team', 'a/b/'),
    config('my mount', 'p q'),
    config('', ''),
  ]
  const names = ['gh', 'db-password', 'with space', 'ünï', 'a/b', '/lead', 'trail/', 'x%2Fy', '']
  it('gives the same ref, data and metadata paths as kvPaths', () => {
    for (const c of configs) {
      const paths = kvPathsOf(c)
      for (const name of names) {
        expect([paths.ref(name), paths.data(name), paths.metadata(name)]).toEqual([
          kvPaths.ref(c, name),
          kvPaths.data(c, name),
          kvPaths.metadata(c, name),
        ])
      }
    }
  })
})
