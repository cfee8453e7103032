/**
 * A long apply shows progress instead of a line per secret (issue 11, item 24): off a terminal a
 * line every SECRETCTL_PROGRESS_INTERVAL (0s here: one per change, so the content is asserted,
 * never how many lines some real time made), at a terminal a bar; and a migration ends with a
 * summary per pair of backends.
 */
import {describe, it, expect} from 'vitest'
import {execa} from 'execa'
import {secretctl, tempProject, writeFiles, canary, CLI} from './support/cli.js'
import {envSecret, docs, plaintextBackend} from './support/manifests.js'

const N = 25
const names = Array.from({length: N}, (_, i) => `p${String(i + 1).padStart(2, '0')}`)
const manifests = (backend?: string) => ({
  'b.yaml': plaintextBackend('other'),
  's.yaml': docs(...names.map((n) => envSecret(n, {K: 'V'}, backend ? {backend} : {}))),
})

describe('apply progress', () => {
  it('off a terminal: progress lines on stderr, failures and a summary per pair of backends on stdout', async () => {
    const dir = tempProject(manifests())
    const env = {V: canary('progress'), SECRETCTL_PROGRESS_INTERVAL: '0s'}
    const first = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
    expect(first.exitCode, first.stderr).toBe(0)
    const lines = first.stderr.split('\n').filter((l) => l.startsWith('apply: '))
    // backend.other and 25 secrets: a line per change, the last one final.
    expect(lines).toHaveLength(N + 1)
    expect(lines[0]).toMatch(/^apply: 1\/26 changes \(3%\), [\d.]+\/s, ETA /)
    expect(lines.at(-1)).toMatch(/^apply: 26\/26 changes \(100%\), [\d.]+\/s, done$/)
    expect(first.stdout).not.toMatch(/applied\s+\+ secret\.p01/)
    expect(first.stdout).toContain('  26 changes applied (`--json` lists every change; `secretctl history` too)')

    writeFiles(dir, manifests('other'))
    const moved = await secretctl(['apply', '--auto-approve'], {cwd: dir, env: {...env, SECRETCTL_PROGRESS_INTERVAL: 'off'}})
    expect(moved.exitCode, moved.stderr).toBe(0)
    expect(moved.stderr).not.toContain('apply: ')
    expect(moved.stdout).toContain(`Moves: moved ${N} from default to other, failed 0, kept 0.`)
    const json = await secretctl(['apply', '--auto-approve', '--json'], {cwd: dir, env})
    expect(JSON.parse(json.stdout).result).toBeNull()
    expect(json.stderr).toBe('')
  })

  it('a bad SECRETCTL_PROGRESS_INTERVAL is refused before anything is done', async () => {
    const dir = tempProject(manifests())
    const r = await secretctl(['apply', '--auto-approve'], {cwd: dir, env: {V: canary('p-bad'), SECRETCTL_PROGRESS_INTERVAL: 'soon'}})
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toContain('SECRETCTL_PROGRESS_INTERVAL="soon" is not a duration')
  })

  it('at a terminal: a bar with the count, the rate and the ETA', async () => {
    const dir = tempProject(manifests())
    const r = await execa('script', ['-qfec', `node ${CLI} apply --auto-approve`, '/dev/null'], {
      cwd: dir,
      env: {NO_COLOR: '1', V: canary('p-tty')},
      reject: false,
      stdin: 'ignore',
    })
    expect(r.exitCode, String(r.stdout)).toBe(0)
    expect(String(r.stdout)).toMatch(/apply \[[^\]]*\] 26\/26 changes \| [\d.]+\/s \| ETA /)
    expect(String(r.stdout)).toContain('Apply complete: 26 applied, 0 failed, 0 skipped')
  })
})
