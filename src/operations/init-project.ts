/**
 * `secretctl init`: scaffolds a manifests directory in kmcp's layout (environments, env files, an
 * example backend and secrets, a .gitignore that keeps the state and the env files out of git).
 * Never overwrites a file that exists.
 */
import {randomBytes} from 'node:crypto'
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {UsageError} from '../errors.js'
import {schemaComment} from '../manifests/manifest-schemas.js'

/**
 * The files `init` writes: kmcp's layout — one `.env.<environment>` per environment (local,
 * staging, production) read through `envFile: .env.${env}`, a committed `.env.example` with the
 * names only, and a .gitignore for the env files and the state. `{{schema:KIND}}` becomes the
 * editor schema line; `{{random}}` a fresh value for the local env file.
 */
const FILES: Record<string, string> = {
  'secretctl.yaml': `{{schema:ProjectConfig}}
# One manifest set, three environments: pick one with --env NAME (or SECRETCTL_ENV); each has its own state.
# \${env} and \${vars.NAME} are replaced in backend config, value-file paths and backend: (never in values).
defaultEnvironment: local
environments:
  local: {}
  staging:
    vars: { namespace: staging }
  production:
    vars: { namespace: production }
    # state: postgres://secretctl@db.internal/secretctl   # a shared state for a team
`,
  'backends.yaml': `{{schema:SecretBackend}}
# Secret backends: where secret values are stored.
# The plaintext backend \`default\` always exists: it is the trust root, kept in the state database.
kind: SecretBackend
name: local
type: plaintext
description: "a second plaintext backend; move a secret here by setting \`backend: local\`"
`,
  'secrets.yaml': `{{schema:Secret}}
# Secrets: which keys each holds, where each value comes from, and on which backend it lives.
# Values never go in this file: it lives in git. Sources: fromEnv, fromFile, envFile, generate.
kind: Secret
name: github
# backend: local        # omit for the default backend; changing it moves the secret
data:
  GITHUB_TOKEN: { fromEnv: GITHUB_TOKEN }
  WEBHOOK_SECRET: { generate: { length: 48 } }
---
{{schema:Secret}}
# Every KEY=VALUE of this environment's env file (.env.local, .env.staging, .env.production).
kind: Secret
name: app
envFile: .env.\${env}
`,
  '.env.example': `# Names every .env.<environment> file must define (values never go here: this file is committed).
# Checked by \`secretctl validate --env ENV\`; rewritten from the env files by \`secretctl env example\`.
API_KEY=
`,
  '.env.local': `# Values for --env local. Never committed (.gitignore); staging and production get their own file.
API_KEY={{random}}
`,
  '.gitignore': `# The state database holds plaintext secret values, and the env files hold values: never commit them.
.secretctl/
.env
.env.*
!.env.example
`,
}

export interface InitResult {
  dir: string
  written: string[]
  skipped: string[]
}

export function initProject(dir: string): InitResult {
  const abs = path.resolve(dir)
  if (existsSync(abs) && !existsSync(path.join(abs, '.'))) throw new UsageError(`${dir} is not a directory`)
  mkdirSync(abs, {recursive: true})
  const written: string[] = []
  const skipped: string[] = []
  for (const [name, content] of Object.entries(FILES)) {
    const file = path.join(abs, name)
    if (existsSync(file)) skipped.push(name)
    else {
      const text = content
        .replace(/\{\{schema:(SecretBackend|Secret|ProjectConfig)\}\}/g, (_, kind) => schemaComment(kind, abs))
        .replace('{{random}}', randomBytes(16).toString('hex'))
      // Env files hold values: readable by their owner only.
      writeFileSync(file, text, {flag: 'wx', mode: name.startsWith('.env.') && name !== '.env.example' ? 0o600 : 0o644})
      written.push(name)
    }
  }
  return {dir: abs, written, skipped}
}
