/**
 * Every command of the README works as pasted into a fresh clone (issue 11, item 12): the
 * quickstart (install, apply, a converged plan) as one shell line, and the "project of your own"
 * block line by line with `secretctl` on PATH, each with the exit code its comment promises.
 * The test command itself (`npm test`) is what .ci/run runs; here it is only checked to be that.
 */
import {execFileSync} from 'node:child_process'
import {cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync, chmodSync, mkdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {execa} from 'execa'
import {describe, expect, it} from 'vitest'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8')
const BLOCKS = [...README.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => (m[1] ?? '').trim())
// npm reads its settings from the environment: no registry traffic (node_modules is complete), no notices.
const NPM_OFFLINE = {npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false'}

/** A fresh clone of the committed tree, with this checkout's node_modules (npm install then has nothing to fetch). */
function freshClone(): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'secretctl-readme-')), 'clone')
  if (existsSync(path.join(ROOT, '.git'))) execFileSync('git', ['clone', '-q', ROOT, dir], {stdio: 'pipe'})
  else cpSync(ROOT, dir, {recursive: true, filter: (src) => !/[/\\](node_modules|dist|\.secretctl)$/.test(src)})
  cpSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), {recursive: true, verbatimSymlinks: true})
  return dir
}

describe('the README, as pasted', () => {
  it('has the two quickstart commands: install and run, then the test command .ci/run runs', () => {
    expect(BLOCKS[0]).toMatch(/^npm install && /)
    expect(BLOCKS[1]).toBe('npm test')
    expect(readFileSync(path.join(ROOT, '.ci/run'), 'utf8')).toMatch(/^npm test$/m)
  })

  it('the quickstart installs, applies and converges in a fresh clone; then the project-of-your-own block runs line by line', async () => {
    const clone = freshClone()
    const quick = await execa('bash', ['-c', BLOCKS[0] as string], {
      cwd: clone,
      env: NPM_OFFLINE,
      reject: false,
      timeout: 600_000,
      all: true,
    })
    expect(quick.exitCode, quick.all).toBe(0)
    expect(quick.all).toContain('No changes.')

    // `npm install -g .` puts secretctl on PATH; a shim does the same for this test.
    const bin = path.join(clone, '.bin-shim')
    mkdirSync(bin)
    writeFileSync(path.join(bin, 'secretctl'), `#!/bin/sh\nexec node ${JSON.stringify(path.join(clone, 'bin/run.js'))} "$@"\n`)
    chmodSync(path.join(bin, 'secretctl'), 0o755)
    const work = mkdtempSync(path.join(tmpdir(), 'secretctl-readme-project-'))
    const env: Record<string, string> = {PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1'}
    for (const line of (BLOCKS[2] ?? '').split('\n')) {
      const command = line.replace(/\s+#.*$/, '').trim()
      if (!command) continue
      const exported = /^export (\w+)=(.*)$/.exec(command)
      if (exported) {
        env[exported[1] as string] = exported[2] as string
        continue
      }
      const expected = Number(/# exit (\d)/.exec(line)?.[1] ?? 0)
      const r = await execa('bash', ['-c', command], {cwd: work, env, reject: false, timeout: 120_000, all: true})
      expect(r.exitCode, `${command}\n${r.all}`).toBe(expected)
    }
  })
})
