/**
 * `secretctl scan` in a git work tree: `.env` files git tracks with values in clear. A file named
 * `.env` or `.env.*` is looked at, except the templates projects commit on purpose
 * (`.env.example`, `.env.sample`, `.env.template`, `.env.dist`) and dotenv-vault's ciphertext
 * (`.env.vault`). It is reported when a key holds a non-empty value that is not dotenvx-encrypted
 * (`encrypted:…`); dotenvx's `DOTENV_PUBLIC_KEY…` lines are public. The finding names the keys,
 * never their values. (`.env.keys`, where dotenvx keeps private keys, is reported like any other.)
 */
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {parse} from 'dotenv'
import {isDotenvxEncrypted, isDotenvxPublicKey} from '../formats/dotenvx.js'
import type {EnvFileFinding} from './scan-findings.js'

const ENV_FILE = /^\.env(\..+)?$/
const TEMPLATES = new Set(['.env.example', '.env.sample', '.env.template', '.env.dist', '.env.vault'])

/** Whether a file name is a `.env` file scan looks at. */
export function isEnvFileName(name: string): boolean {
  return ENV_FILE.test(name) && !TEMPLATES.has(name)
}

/** The `.env` files among the tracked ones (relative to `cwd`) that hold values in clear. */
export function scanTrackedEnvFiles(cwd: string, tracked: string[]): EnvFileFinding[] {
  const out: EnvFileFinding[] = []
  for (const file of tracked.filter((f) => isEnvFileName(path.posix.basename(f)))) {
    let text: string
    try {
      text = readFileSync(path.resolve(cwd, file), 'utf8')
    } catch {
      continue
    }
    // dotenv's own parser, as the envFile source reads values (src/sources/env-file.ts).
    const values = parse(text)
    const keys = Object.keys(values).filter((k) => !isDotenvxPublicKey(k) && values[k] !== '' && !isDotenvxEncrypted(values[k] as string))
    if (keys.length) out.push({kind: 'env-file', file, keys: keys.sort()})
  }
  return out
}
