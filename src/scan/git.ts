/**
 * The few git commands `secretctl scan` runs (git is the user's, on PATH): whether a directory is
 * in a work tree, the files git tracks or would track, and a process whose output is streamed.
 * File names come NUL-separated (`-z`), so no name is ever misread.
 */
import {execFile, spawn, type ChildProcessWithoutNullStreams} from 'node:child_process'
import {promisify} from 'node:util'
import {UsageError} from '../errors.js'

const run = promisify(execFile)
const BUFFER = 1024 * 1024 * 256

/** git's output, or undefined when it fails (not a work tree, no such revision). */
export async function git(args: string[], cwd: string): Promise<string | undefined> {
  try {
    const {stdout} = await run('git', args, {cwd, maxBuffer: BUFFER, encoding: 'utf8'})
    return stdout
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UsageError('git is not installed (or not on PATH)', 'install git: --git and the tracked-file checks run it')
    return undefined
  }
}

/** Whether `cwd` is inside a git work tree. */
export async function inWorkTree(cwd: string): Promise<boolean> {
  return (await git(['rev-parse', '--is-inside-work-tree'], cwd))?.trim() === 'true'
}

/** Files under the paths, relative to `cwd`: with `others`, also the untracked ones .gitignore does not exclude. */
export async function gitFiles(cwd: string, paths: string[], others: boolean): Promise<string[]> {
  const args = [
    '-c',
    'core.quotePath=false',
    'ls-files',
    '-z',
    '--cached',
    ...(others ? ['--others', '--exclude-standard'] : []),
    '--',
    ...paths,
  ]
  const out = await git(args, cwd)
  if (out === undefined) throw new UsageError(`git ls-files failed in ${cwd}`)
  return [...new Set(out.split('\0').filter(Boolean))]
}

/** A git process whose stdout is read as a stream; its stderr is kept for the error message. */
export function spawnGit(args: string[], cwd: string): {child: ChildProcessWithoutNullStreams; stderr: () => string} {
  const child = spawn('git', args, {cwd, stdio: ['pipe', 'pipe', 'pipe']})
  let err = ''
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (d: string) => {
    if (err.length < 4096) err += d
  })
  return {child, stderr: () => err.trim()}
}
