/** Shared by the value-source tests: a manifests tree in a temp dir, resolution, and the problems it reports. */
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {expect} from 'vitest'
import {ManifestErrors, type ManifestProblem} from '../../../src/errors.js'
import {loadManifests} from '../../../src/manifests/load-manifests.js'
import {type ResolveOptions, resolveValues} from '../../../src/sources/resolve-values.js'
import {SOPS_FIXTURES} from '../formats/format-fixtures.js'

export function tree(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'secretctl-sources-'))
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), {recursive: true})
    writeFileSync(path.join(dir, file), content)
  }
  return dir
}

/** A test vector of test/fixtures/sops by name. */
export function sopsFixture(name: string): string {
  return readFileSync(path.join(SOPS_FIXTURES, name), 'utf8')
}

/** An environment that finds no identity in any default place (XDG_CONFIG_HOME points at an empty directory). */
export function isolatedEnv(env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {XDG_CONFIG_HOME: mkdtempSync(path.join(tmpdir(), 'secretctl-noconfig-')), HOME: '/nonexistent', ...env}
}

/** key → resolved value of one secret (plain objects, for toEqual). */
export async function resolveSecret(dir: string, secret: string, opts: Omit<ResolveOptions, 'env'> & {env?: NodeJS.ProcessEnv} = {}) {
  const values = await resolveValues(await loadManifests(dir), {...opts, env: isolatedEnv(opts.env)})
  return Object.fromEntries(values.get(secret) ?? [])
}

/** The problems resolution reports (fails the test when it succeeds). */
export async function resolveProblems(
  dir: string,
  opts: Omit<ResolveOptions, 'env'> & {env?: NodeJS.ProcessEnv} = {},
): Promise<ManifestProblem[]> {
  const error = await resolveValues(await loadManifests(dir), {...opts, env: isolatedEnv(opts.env)}).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(ManifestErrors)
  return (error as ManifestErrors).problems
}

/** Asserts that no problem's message or hint carries any of `secrets`. */
export function expectClean(problems: ManifestProblem[], secrets: string[]): void {
  const text = JSON.stringify(problems)
  for (const s of secrets) expect(text, 'a problem carries a secret').not.toContain(s)
}
