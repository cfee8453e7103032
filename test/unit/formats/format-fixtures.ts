/**
 * Shared by the format tests: temporary directories, the fixture folders, whether the `age` CLI
 * is here (scripts/install-test-deps.sh installs it; CI must have it), and the canary check that
 * no error message carries a value or a key.
 */
import {execFileSync} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {expect} from 'vitest'

export const SOPS_FIXTURES = fileURLToPath(new URL('../../fixtures/sops/', import.meta.url))
export const AGE_FIXTURES = fileURLToPath(new URL('../../fixtures/age/', import.meta.url))

export function tempDir(prefix = 'secretctl-formats-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix))
}

export function writeIn(dir: string, name: string, content: string | Uint8Array): string {
  const file = path.join(dir, name)
  writeFileSync(file, content)
  return file
}

function onPath(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

/** True where the age CLI can be run; in CI its absence is a failure, not a skip. */
export const haveAgeCli = onPath('age') && onPath('age-keygen')
if (!haveAgeCli && process.env.CI) throw new Error('the age CLI is missing: run scripts/install-test-deps.sh')

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  const r = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(r, 'expected a rejection').toBeInstanceOf(Error)
  return r as Error
}

/** Asserts that none of `secrets` appears in the error's message, hint or JSON form. */
export function expectNoSecrets(err: unknown, secrets: string[]): void {
  const e = err as Error & {hint?: string}
  const text = `${e.message}\n${e.hint ?? ''}\n${JSON.stringify(e)}\n${String(e.stack)}`
  for (const s of secrets) expect(text, 'an error message carries a secret').not.toContain(s)
}

const DOTENVX_CLI = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@dotenvx/dotenvx/package.json')),
  'src',
  'cli',
  'dotenvx.js',
)

/** Runs the real dotenvx CLI (a devDependency) in `dir`, offline and away from any real home or keychain. */
export function runDotenvx(dir: string, args: string[]): void {
  execFileSync(process.execPath, [DOTENVX_CLI, ...args], {
    cwd: dir,
    stdio: 'pipe',
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      CI: 'true',
      DOTENVX_NO_ARMOR: 'true',
      DOTENVX_NO_NATIVE: 'true',
      DOTENVX_NO_1PASSWORD: 'true',
      DOTENVX_NO_BITWARDEN: 'true',
    },
  })
}
