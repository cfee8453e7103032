/**
 * The few git commands `secretctl scan` runs (git is the user's, on PATH): the files git tracks or
 * would track (none outside a work tree), and a process whose output is streamed.
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

/**
 * Files under the paths, relative to `cwd`: those git tracks (`cached`: the index alone, quick), or
 * the untracked ones .gitignore does not exclude (`others`: a walk of the work tree, slower);
 * undefined outside a work tree.
 */
export async function gitFiles(cwd: string, paths: string[], which: 'cached' | 'others'): Promise<string[] | undefined> {
  const options = which === 'cached' ? ['--cached'] : ['--others', '--exclude-standard']
  const out = await git(['-c', 'core.quotePath=false', 'ls-files', '-z', ...options, '--', ...paths], cwd)
  return out === undefined ? undefined : [...new Set(out.split('\0').filter(Boolean))]
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
