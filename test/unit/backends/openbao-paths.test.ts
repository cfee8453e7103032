/**
 * kvPathsOf (a config's mount and pathPrefix encoded once, for the driver's requests) gives the
 * paths of the plain rule below, for every shape of mount, prefix and name.
 */
import {describe, expect, it} from 'vitest'
import {kvPathsOf, type OpenBaoConfig} from '../../../src/backends/openbao/openbao-config.js'

/** The rule, written plainly: the parts split at `/`, empty segments dropped, each URL-encoded (the ref: not encoded). */
const parts = (...ps: string[]) => ps.flatMap((p) => p.split('/')).filter(Boolean)
const segments = (...ps: string[]) =>
  parts(...ps)
    .map(encodeURIComponent)
    .join('/')
const kvPaths = {
  ref: (c: OpenBaoConfig, name: string) => parts(c.mount, c.pathPrefix, name).join('/'),
  data: (c: OpenBaoConfig, name: string) => segments(c.mount, 'data', c.pathPrefix, name),
  metadata: (c: OpenBaoConfig, name: string) => segments(c.mount, 'metadata', c.pathPrefix, name),
  list: (c: OpenBaoConfig) => segments(c.mount, 'metadata', c.pathPrefix),
}

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
      expect(paths.list()).toBe(kvPaths.list(c))
    }
  })
})
