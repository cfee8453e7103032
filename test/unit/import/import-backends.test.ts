/**
 * What the backend kinds find for `secretctl import openbao|kubernetes`, without a server: the
 * OpenBao folder's names (valid ones found, invalid ones and sub-folders skipped with what to do,
 * `--path` as a name prefix, a folder path refused), and the Kubernetes secret name a Secret's
 * name gives under the backend's nameTemplate.
 */
import {describe, expect, it} from 'vitest'
import type {BackendDriver, DriverContext} from '../../../src/backends/driver.js'
import {withKubernetesDefaults} from '../../../src/backends/kubernetes/kubernetes-config.js'
import {KubernetesDriver} from '../../../src/backends/kubernetes/kubernetes-driver.js'
import {openBaoImport} from '../../../src/backends/openbao/openbao-import.js'
import {UsageError} from '../../../src/errors.js'

const bao = {
  name: 'bao',
  folder: () => ({ref: 'secret/apps', mount: 'secret', pathPrefix: 'apps'}),
  refFor: (n: string) => `secret/apps/${n}`,
  listFolder: async () => ({secrets: ['Bad_Name', 'github', 'team-db', 'team-web'], folders: ['legacy', 'team-old']}),
} as unknown as BackendDriver

describe('import openbao: what the folder holds', () => {
  it('finds valid names, skips invalid ones and sub-folders with what to do', async () => {
    const r = await openBaoImport.find(bao, {})
    expect(r.origin).toBe('secret/apps')
    expect(r.found.map((c) => `${c.sourceName} → ${c.name} (${c.externalRef})`)).toEqual([
      'secret/apps/github → github (secret/apps/github)',
      'secret/apps/team-db → team-db (secret/apps/team-db)',
      'secret/apps/team-web → team-web (secret/apps/team-web)',
    ])
    expect(r.found.every((c) => !c.claim)).toBe(true)
    expect(r.skipped).toEqual([
      {sourceName: 'secret/apps/Bad_Name', reason: expect.stringContaining('rename it on OpenBao (e.g. to bad_name)')},
      {sourceName: 'secret/apps/legacy/', reason: 'a folder: declare a backend with pathPrefix: apps/legacy to import what is in it'},
      {sourceName: 'secret/apps/team-old/', reason: 'a folder: declare a backend with pathPrefix: apps/team-old to import what is in it'},
    ])
  })

  it('--path narrows to the names that start with it; a folder path is refused with the backend to declare', async () => {
    const r = await openBaoImport.find(bao, {path: 'team-'})
    expect(r.found.map((c) => c.name)).toEqual(['team-db', 'team-web'])
    expect(r.skipped.map((s) => s.sourceName)).toEqual(['secret/apps/team-old/'])
    const refused = await openBaoImport.find(bao, {path: 'legacy/'}).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(UsageError)
    expect((refused as UsageError).hint).toContain('pathPrefix: apps/legacy')
  })
})

describe('import kubernetes: the secret name of a Secret', () => {
  const driver = (config: Record<string, unknown>) =>
    new KubernetesDriver({
      backend: {
        name: 'k8s',
        type: 'kubernetes',
        config: withKubernetesDefaults({server: 'https://127.0.0.1:1', namespace: 'apps', ...config}),
      },
      concurrency: 1,
      env: {},
    } as unknown as DriverContext)

  it.each([
    ['{{name}}', 'github', 'github'],
    ['app-{{name}}', 'app-github', 'github'],
    ['app-{{name}}', 'github', undefined],
    ['app-{{name}}', 'app-', undefined],
    ['{{name}}-secret', 'db-secret', 'db'],
    ['{{name}}-{{name}}', 'a-a', undefined],
  ])('nameTemplate %s: %s → %s', (nameTemplate, objectName, secret) => {
    expect(driver({nameTemplate}).secretNameOf(objectName)).toBe(secret)
  })
})
