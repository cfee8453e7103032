import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import {afterAll, describe, expect, it} from 'vitest'
import {parseAllDocuments} from 'yaml'
import {typeSpellings} from '../../../src/backends/registry.js'
import {manifestValidatorsCode} from '../../../src/manifests/validator-code.js'
import {compileValidators} from '../../../src/manifests/compile-validators.js'
import type {SchemaName} from '../../../src/manifests/validate-schema.js'

type Validate = ((data: unknown) => boolean) & {errors?: unknown[] | null}

const dir = mkdtempSync(path.join(tmpdir(), 'secretctl-validators-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

/** The code `npm run build` writes, imported from a temp file (its ajv runtime imports made absolute). */
async function precompiled(): Promise<Record<SchemaName, Validate>> {
  const require = createRequire(import.meta.url)
  const code = manifestValidatorsCode().replace(/from '(ajv\/dist\/runtime\/[\w-]+\.js)'/g, (_, m: string) => {
    return `from '${pathToFileURL(require.resolve(m)).href}'`
  })
  const file = path.join(dir, 'manifest-validators.mjs')
  writeFileSync(file, code)
  return (await import(pathToFileURL(file).href)) as Record<SchemaName, Validate>
}

const root = path.resolve(import.meta.dirname, '../../..')
const read = (file: string) =>
  parseAllDocuments(readFileSync(path.join(root, file), 'utf8'))
    .map((d) => d.toJS() as unknown)
    .filter((d) => d !== null)

/** Valid documents of every kind and backend type, to mutate. */
function seeds(): {name: SchemaName; doc: unknown}[] {
  const out: {name: SchemaName; doc: unknown}[] = []
  for (const file of [
    'fixtures/quickstart/backends.yaml',
    'fixtures/quickstart/secrets.yaml',
    'test/fixtures/manifests/valid/backends.yaml',
  ]) {
    for (const doc of read(file)) out.push({name: /backend/i.test(String((doc as {kind?: string}).kind)) ? 'SecretBackend' : 'Secret', doc})
  }
  for (const type of typeSpellings()) out.push({name: 'SecretBackend', doc: {kind: 'SecretBackend', name: 'b', type, config: {}}})
  out.push({name: 'ProjectConfig', doc: read('test/fixtures/manifests/valid/secretctl.yaml')[0]})
  out.push({name: 'Secret', doc: {kind: 'Secret', name: 's', data: {A: {fromEnv: 'A'}, B: {generate: {length: 8}}, C: {fromFile: 'c'}}}})
  return out
}

const REPLACEMENTS: unknown[] = [123, 'x', '', true, null, [], {}, {unknown: 1}, ['x']]

/** Each seed, then each field of it deleted, replaced by each of REPLACEMENTS, and an unknown field added to each mapping. */
function* mutations(doc: unknown, at: (string | number)[] = []): Generator<unknown> {
  if (at.length === 0) yield doc
  const node = at.reduce<unknown>((n, k) => (n as Record<string | number, unknown>)[k], doc)
  if (node === null || typeof node !== 'object') return
  const clone = () => structuredClone(doc) as Record<string, unknown>
  const target = (d: unknown) => at.reduce<unknown>((n, k) => (n as Record<string | number, unknown>)[k], d) as Record<string, unknown>
  if (!Array.isArray(node)) {
    const added = clone()
    target(added).surprise = 'x'
    yield added
  }
  for (const key of Object.keys(node)) {
    const removed = clone()
    delete target(removed)[key]
    yield removed
    for (const value of REPLACEMENTS) {
      const replaced = clone()
      target(replaced)[key] = value
      yield replaced
    }
    yield* mutations(doc, [...at, Array.isArray(node) ? Number(key) : key])
  }
}

describe('the precompiled manifest validators', () => {
  it('give the same verdict and the same errors as the schemas compiled at run time', async () => {
    const [built, compiled] = [await precompiled(), compileValidators() as Record<SchemaName, Validate>]
    let checked = 0
    let invalid = 0
    for (const {name, doc} of seeds()) {
      for (const mutated of mutations(doc)) {
        const ok = built[name](mutated)
        expect(ok).toBe(compiled[name](mutated))
        expect(built[name].errors ?? null).toEqual(compiled[name].errors ?? null)
        checked++
        if (!ok) invalid++
      }
    }
    // The corpus reaches many keywords: most mutations are invalid, some are not.
    expect(checked).toBeGreaterThan(500)
    expect(invalid).toBeGreaterThan(checked / 2)
    expect(invalid).toBeLessThan(checked)
  })
})
