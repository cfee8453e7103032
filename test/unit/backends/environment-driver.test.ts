/**
 * The environment driver: values from DriverContext.env (never process.env) by the
 * SECRETCTL_SECRET_<NAME>_<KEY> convention, a prefix, refs naming other variables; a secret is
 * missing when none of its variables is set; never listed, never written.
 */
import {describe, expect, it} from 'vitest'
import {EnvironmentDriver, createEnvironmentDriver, environmentVariable} from '../../../src/backends/environment/environment-driver.js'
import type {DriverContext} from '../../../src/backends/driver.js'
import {failure} from './driver-assertions.js'

function context(env: NodeJS.ProcessEnv, config: Record<string, unknown> = {}): DriverContext {
  return {
    backend: {
      id: 1,
      name: 'ci',
      type: 'environment',
      description: null,
      isDefault: false,
      config,
      rotation: null,
      tokenMeta: null,
      createdAt: '',
      updatedAt: '',
    },
    state: {} as never,
    readTrustRoot: async () => '',
    concurrency: 1,
    env,
  }
}

function driver(env: NodeJS.ProcessEnv, config: Record<string, unknown> = {}): EnvironmentDriver {
  return new EnvironmentDriver(context(env, config))
}

describe('environment driver', () => {
  it('names variables by the convention: upper-cased, every other character as _', () => {
    expect(environmentVariable('github', 'GITHUB_TOKEN')).toBe('SECRETCTL_SECRET_GITHUB_GITHUB_TOKEN')
    expect(environmentVariable('my-app.prod', 'db.password')).toBe('SECRETCTL_SECRET_MY_APP_PROD_DB_PASSWORD')
    expect(environmentVariable('app', 'k', 'CI_')).toBe('CI_APP_K')
  })

  it('reads from the context environment by convention, prefix or ref, and never from process.env', async () => {
    process.env.SECRETCTL_SECRET_LEAK_K = 'from-process-env'
    try {
      const d = driver({SECRETCTL_SECRET_APP_TOKEN: 't', OTHER: 'o', CI_APP_TOKEN: 'c'})
      expect(await d.read('app', {TOKEN: null})).toEqual({TOKEN: 't'})
      expect(await d.read('app', {TOKEN: null, X: 'OTHER'})).toEqual({TOKEN: 't', X: 'o'})
      expect(await d.read('leak', {K: null})).toBeUndefined()
      expect(await driver({CI_APP_TOKEN: 'c'}, {prefix: 'CI_'}).read('app', {TOKEN: null})).toEqual({TOKEN: 'c'})
    } finally {
      delete process.env.SECRETCTL_SECRET_LEAK_K
    }
  })

  it('metadata says whether every variable is set; no version', async () => {
    const d = driver({SECRETCTL_SECRET_APP_A: '', SECRETCTL_SECRET_APP_B: 'b'})
    expect(await d.metadata('app', {A: null, B: null})).toEqual({exists: true, version: null, externalRef: null})
    expect(await d.metadata('app', {A: null, C: null})).toMatchObject({exists: false})
    expect(await d.read('app', {A: null})).toEqual({A: ''}) // set but empty is set
  })

  it('some variables set and others not is an error naming the variables, never a value', async () => {
    const d = driver({SECRETCTL_SECRET_APP_A: 'secret-a'})
    const err = await failure(d.read('app', {A: null, B: null}))
    expect(err.message).toMatch(/SECRETCTL_SECRET_APP_B is not set/)
    expect(err.message).not.toContain('secret-a')
  })

  it('without refs it cannot tell the keys (the environment is never listed)', async () => {
    const d = createEnvironmentDriver(context({}))
    expect(d.capabilities).toMatchObject({readOnly: true, listable: false, versioned: false})
    expect(d.list).toBeUndefined()
    expect((await failure(d.read('app'))).message).toMatch(/never listed/)
  })

  it('is read-only', async () => {
    const d = driver({})
    expect((await failure(d.write())).message).toMatch(/read-only/)
    expect((await failure(d.delete())).message).toMatch(/read-only/)
    expect(await d.health()).toEqual({ok: true, detail: 'ok'})
  })
})
