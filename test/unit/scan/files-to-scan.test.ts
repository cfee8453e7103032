/**
 * The files `secretctl scan` reads: in a work tree, what git tracks and, listed apart (later), the
 * untracked files .gitignore does not exclude; elsewhere, from a walk.
 */
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {filesToScan} from '../../../src/scan/scan-files.js'

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
    expect(await listed.untracked).toEqual(['new.txt'])
    writeFileSync(path.join(dir, 'sub/new.ts'), 'n')
    const sub = await filesToScan(path.join(dir, 'sub'), ['.'])
    expect(sub.files).toEqual(['b.ts', 'space name.txt'])
    expect(await sub.untracked).toEqual(['new.ts'])
    // For --staged: the tracked files alone.
    const staged = await filesToScan(dir, ['.'], true)
    expect(staged.files).toEqual(listed.files)
    expect(await staged.untracked).toEqual([])
  })

  it('outside a work tree: every regular file but .git, node_modules and .secretctl', async () => {
    const dir = tree({'a.ts': 'a', 'node_modules/x/i.js': 'x', '.secretctl/state.db': 's', 'deep/er/c.txt': 'c'})
    const listed = await filesToScan(dir, ['.'])
    expect(listed.files).toEqual(['a.ts', 'deep/er/c.txt'])
    expect(listed.git).toBe(false)
    expect(await listed.untracked).toEqual([])
  })
})
