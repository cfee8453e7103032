/** The .env.example contract: checked per environment, written from the env files' names only. */
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {checkEnvExample, envExampleText} from '../../../src/environments/env-example.js'
import {loadManifests} from '../../../src/manifests/load-manifests.js'

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'secretctl-envex-'))
  for (const [file, content] of Object.entries(files)) writeFileSync(path.join(dir, file), content)
  return dir
}

const base = {
  'secretctl.yaml': 'defaultEnvironment: local\nenvironments: {local: {}, production: {}}\n',
  's.yaml': 'kind: Secret\nname: app\nenvFile: .env.${env}\n',
  '.env.example': '# names only\nAPI_KEY=\nDB_URL=\n',
}

describe('the .env.example contract', () => {
  it('a missing name and an empty value are errors naming the env file and the name; an extra name is a warning', async () => {
    const dir = tree({...base, '.env.local': 'API_KEY=k\nDB_URL=u\n', '.env.production': 'API_KEY=\nEXTRA=1\n'})
    expect(checkEnvExample(await loadManifests(dir, {flag: 'local'}))).toEqual({errors: [], warnings: []})
    const report = checkEnvExample(await loadManifests(dir, {flag: 'production'}))
    expect(report.errors.map((e) => `${e.file}:${e.line} ${e.field}: ${e.message}`)).toEqual([
      's.yaml:3 envFile: .env.production gives API_KEY an empty value (environment production)',
      's.yaml:3 envFile: .env.production has no DB_URL, which .env.example requires (environment production)',
    ])
    expect(report.warnings).toEqual(['.env.production: EXTRA is not in .env.example; no other environment is required to define it'])
  })

  it('writes the names of the env files, grouped by file, and never a value', async () => {
    const dir = tree({...base, '.env.local': 'API_KEY=secret-value-1\nDB_URL=postgres://u:pw@h/db\n'})
    const text = envExampleText(await loadManifests(dir, {flag: 'local'}))
    expect(text).toContain('# .env.local: secret app\nAPI_KEY=\nDB_URL=\n')
    expect(text).not.toContain('secret-value-1')
    expect(text).not.toContain('pw@h')
  })
})
