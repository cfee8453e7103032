/**
 * `secretctl init`: scaffolds a manifests directory with an example backend and secret, and a
 * .gitignore that keeps the state out of git. Never overwrites a file that exists.
 */
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {UsageError} from '../errors.js'
import {schemaComment} from '../manifests/manifest-schemas.js'

/** The files `init` writes; `{{schema:KIND}}` becomes the editor schema line for the directory. */
const FILES: Record<string, string> = {
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
`,
  '.gitignore': `# The state database holds plaintext secret values: never commit it.
.secretctl/
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
      writeFileSync(
        file,
        content.replace(/\{\{schema:(SecretBackend|Secret)\}\}/g, (_, kind) => schemaComment(kind, abs)),
        {flag: 'wx'},
      )
      written.push(name)
    }
  }
  return {dir: abs, written, skipped}
}
