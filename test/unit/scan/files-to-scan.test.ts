/**
 * The files `secretctl scan` reads: in a work tree, what git tracks and, listed apart (later), the
 * untracked files .gitignore does not exclude; elsewhere, from a walk. And scanFiles finds the same
 * whichever way the untracked files come: listed by the time the scan starts, awaited because the
 * tracked files are few, or scanned after the tracked ones.
 */
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {filesToScan, type Listing, ScanWorkers, scanFiles} from '../../../src/scan/scan-files.js'
import {scanIndexOf} from '../../support/scan-index.js'

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'secretctl-files-to-scan-'))
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), {recursive: true})
    writeFileSync(path.join(dir, name), text)
  }
  return dir
}

const git = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {cwd: dir, stdio: 'pipe'})

describe('filesToScan', () => {
  it('in a work tree: tracked files, then the untracked ones but not ignored ones', async () => {
    const dir = tree({
      '.gitignore': 'build/\n*.log\n',
      'a.ts': 'a',
      'sub/b.ts': 'b',
      'sub/space name.txt': 's',
      'gone.txt': 'g',
      'sparse.txt': 'p',
      'new.txt': 'n',
      'build/out.js': 'o',
      'debug.log': 'l',
    })
    git(dir, 'init', '-q', '-b', 'main')
    git(dir, 'add', '.gitignore', 'a.ts', 'sub', 'gone.txt', 'sparse.txt')
    git(dir, 'commit', '-q', '-m', 'one')
    // Deleted in the work tree but still in the index, and a skip-worktree entry: both listed.
    rmSync(path.join(dir, 'gone.txt'))
    git(dir, 'update-index', '--skip-worktree', 'sparse.txt')
    const listed = await filesToScan(dir, ['.'])
    expect(listed.git).toBe(true)
    expect(listed.files).toEqual(['.gitignore', 'a.ts', 'gone.txt', 'sparse.txt', 'sub/b.ts', 'sub/space name.txt'])
    expect(await listed.untracked.done).toEqual(['new.txt'])
    writeFileSync(path.join(dir, 'sub/new.ts'), 'n')
    const sub = await filesToScan(path.join(dir, 'sub'), ['.'])
    expect(sub.files).toEqual(['b.ts', 'space name.txt'])
    expect(await sub.untracked.done).toEqual(['new.ts'])
    // For --staged: the tracked files alone.
    const staged = await filesToScan(dir, ['.'], true)
    expect(staged.files).toEqual(listed.files)
    expect(await staged.untracked.done).toEqual([])
  })

  it('outside a work tree: every regular file but .git, node_modules and .secretctl', async () => {
    const dir = tree({'a.ts': 'a', 'node_modules/x/i.js': 'x', '.secretctl/state.db': 's', 'deep/er/c.txt': 'c'})
    const listed = await filesToScan(dir, ['.'])
    expect(listed.files).toEqual(['a.ts', 'deep/er/c.txt'])
    expect(listed.git).toBe(false)
    expect(await listed.untracked.done).toEqual([])
  })

  it('scanFiles: the untracked files are scanned whether listed before, awaited, or scanned after the others', async () => {
    const TOKEN = `tok_${'a1'.repeat(16)}`
    const index = await scanIndexOf({app: {TOKEN}})
    const files: Record<string, string> = {}
    for (let f = 0; f < 2100; f++) files[`t/f${f}.txt`] = f === 1234 ? `x\nTOKEN=${TOKEN}\n` : `line ${f}\n`
    files['u/new.txt'] = `"${TOKEN}"\n`
    const dir = tree(files)
    const tracked = Object.keys(files)
      .filter((f) => f.startsWith('t/'))
      .sort()
    const run = async (t: string[], untracked: Listing) => {
      const found: string[] = []
      const stats = await scanFiles(index, dir, t, untracked, (f) => found.push(`${f.file}:${f.line}`), new ScanWorkers(1))
      return {found: [...new Set(found)].sort(), files: stats.files}
    }
    const listed = (): Listing => ({done: Promise.resolve(['u/new.txt']), files: ['u/new.txt']})
    const pending = (): Listing => ({done: new Promise((resolve) => setTimeout(() => resolve(['u/new.txt']), 20))})
    const expected = {found: ['t/f1234.txt:2', 'u/new.txt:1'], files: 2101}
    expect(await run(tracked, listed())).toEqual(expected)
    // Listed later, 2,100 tracked files: those first, then the untracked one.
    expect(await run(tracked, pending())).toEqual(expected)
    // Listed later, few tracked files: awaited, and scanned with them.
    expect(await run(['t/f1234.txt'], pending())).toEqual({found: expected.found, files: 2})
  })
})
