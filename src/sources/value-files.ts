/**
 * Reading the files that hold values (`fromFile`, `envFile`, and the encrypted formats): only
 * regular files, at most MAX_VALUE_FILE_BYTES, UTF-8 text, and only inside the manifests directory
 * (or under a root `secretctl.yaml` allows with `allowedFileRoots`), never under its `.secretctl/`
 * (the state). A pull request must not make a plan job read the runner's files, and a FIFO or
 * /dev/zero must not hang or exhaust a run. Problems come back as words; nothing here throws a value.
 */
import {closeSync, constants, fstatSync, openSync, readSync, realpathSync} from 'node:fs'
import path from 'node:path'

/** Large enough for certificate bundles and key files; Kubernetes caps a whole Secret at 1 MiB. */
export const MAX_VALUE_FILE_BYTES = 1024 * 1024

export interface FileRoots {
  /** Absolute manifests directory. */
  dir: string
  /** Absolute directories `secretctl.yaml` allows besides it. */
  allowed: readonly string[]
}

export type FileRefusal = {ok: false; problem: string; hint?: string}
export type FileRead = {ok: true; text: string} | FileRefusal
export type BytesRead = {ok: true; bytes: Buffer} | FileRefusal

const utf8 = new TextDecoder('utf-8', {fatal: true})

/** A value file as a manifest names it: resolved against the manifest's folder, and as written (for messages). */
export function declaredFile(raw: unknown, ctx: {here: string}): {path: string; declaredPath: string} {
  return {path: resolvedPath(ctx.here, String(raw)), declaredPath: ownCopy(String(raw))}
}

/**
 * The text as a string of its own. A string the YAML parser cut from a manifest (13 characters or
 * more) is kept by V8 as a slice of the whole file's text, and one such slice held per secret kept the
 * whole `secrets.yaml` of 100,000 secrets, 8.6 MiB, alive for the run (docs/performance.md, sixth round).
 */
export function ownCopy(text: string): string {
  return text.length < 13 ? text : Buffer.from(text, 'utf8').toString('utf8')
}

/**
 * `path.resolve`, as one flat string. A string built by concatenation is kept by V8 as a tree of its
 * parts until something reads it whole: ~240 bytes for a typical value path against ~60 flat, held
 * per key for the whole run (docs/performance.md, peak RSS at 100,000). Reading a character flattens
 * it in place, and the next collection drops the tree.
 */
export function resolvedPath(...segments: string[]): string {
  const resolved = path.resolve(...segments)
  resolved.charCodeAt(0)
  return resolved
}

/** The file's text, or why it cannot be used: `does not exist`, `is outside the manifests directory`, … */
export function readValueFile(absPath: string, roots: FileRoots): FileRead {
  const read = readValueBytes(absPath, roots)
  if (!read.ok) return read
  try {
    return {ok: true, text: utf8.decode(read.bytes)}
  } catch {
    return {
      ok: false,
      problem: 'is not UTF-8 text',
      hint: 'secret values are text: base64-encode binary data first (e.g. base64 -w0 FILE > FILE.b64)',
    }
  }
}

/** The file's bytes under the same rules (for binary formats such as an age file), or why it cannot be used. */
export function readValueBytes(absPath: string, roots: FileRoots): BytesRead {
  const checks = rootChecks(roots)
  // As written first (whether a file outside exists is not the manifests' business), then where a link leads.
  const resolved = path.resolve(absPath)
  const written = outsideRoots(resolved, checks, false)
  if (written) return written
  return readDirectly(resolved, checks) ?? readResolved(absPath, checks)
}

/**
 * The usual file in fewer system calls: its folder's real path resolved once per run (files share a few
 * folders) and the file itself opened without following a link (O_NOFOLLOW), so that the path opened is its
 * real path. Anything else (the file a link, a folder or the file missing, outside the roots: every refusal)
 * is undefined and goes the whole way (readResolved), which gives every message; the file read here is the
 * one readResolved would read. realpath(3) of a value file was one readlink() per component of its path
 * (docs/performance.md, "Issue 18").
 */
function readDirectly(resolved: string, checks: RootChecks): BytesRead | undefined {
  if (NO_FOLLOW === undefined) return undefined
  const folder = checks.realFolder(path.dirname(resolved))
  if (folder === undefined) return undefined
  const real = path.join(folder, path.basename(resolved))
  if (outsideRoots(real, checks, true)) return undefined
  let fd: number
  try {
    fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK | NO_FOLLOW)
  } catch {
    return undefined
  }
  return readOpened(fd)
}

/** Not on Windows, where the fast path (readDirectly) is not taken. */
const NO_FOLLOW: number | undefined = constants.O_NOFOLLOW

/** The file's real path with one realpath(3) call, checked against the roots, then opened and read. */
function readResolved(absPath: string, checks: RootChecks): BytesRead {
  let real: string
  try {
    // One realpath(3) call: Node's own realpathSync lstat()s every component from JavaScript, which was
    // the largest part of reading 10,000 value files (docs/performance.md, "Issue 18").
    real = realpathSync.native(absPath)
  } catch (error) {
    return {ok: false, problem: fsReason(error)}
  }
  const refused = outsideRoots(real, checks, true)
  if (refused) return refused
  let fd: number
  try {
    // Non-blocking, so that opening a FIFO returns at once (it is then refused as not a regular file).
    fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    return {ok: false, problem: fsReason(error)}
  }
  return readOpened(fd)
}

/** An opened value file's bytes if it is a regular file within the size limit; closes it. */
function readOpened(fd: number): BytesRead {
  try {
    const info = fstatSync(fd)
    if (info.isDirectory()) return {ok: false, problem: 'is a directory'}
    if (!info.isFile())
      return {ok: false, problem: 'is not a regular file (a device, FIFO or socket)', hint: 'values are read from regular files only'}
    if (info.size > MAX_VALUE_FILE_BYTES) {
      return {
        ok: false,
        problem: `is larger than ${MAX_VALUE_FILE_BYTES / 1024 / 1024} MiB`,
        hint: 'a secret value this large belongs in a file store, not a secret',
      }
    }
    // Read at most one byte past the limit: a file growing under us is refused too.
    const buffer = Buffer.alloc(Math.min(info.size, MAX_VALUE_FILE_BYTES) + 1)
    let length = 0
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null)
      if (n === 0) break
      length += n
      // A regular file reads whole at once: one read of its size needs no second to see its end.
      if (length === buffer.length || length === info.size) break
    }
    if (length > MAX_VALUE_FILE_BYTES) return {ok: false, problem: `is larger than ${MAX_VALUE_FILE_BYTES / 1024 / 1024} MiB`}
    return {ok: true, bytes: buffer.subarray(0, length)}
  } catch (error) {
    return {ok: false, problem: fsReason(error)}
  } finally {
    closeSync(fd)
  }
}

/** A FileRoots' directories as written and resolved, worked out once: every value file of a run is checked against them. */
interface RootChecks {
  dir: {written: string; real: string}
  state: {written: string; real: string}
  allowed: {written: string; real: string}[]
  /** A folder's real path, resolved once per run; undefined if it cannot be resolved. */
  realFolder(folder: string): string | undefined
}

const checksOf = new WeakMap<FileRoots, RootChecks>()

function rootChecks(roots: FileRoots): RootChecks {
  let checks = checksOf.get(roots)
  if (!checks) {
    const both = (p: string) => ({written: path.resolve(p), real: realOrSelf(p)})
    const dir = both(roots.dir)
    const folders = new Map<string, string | undefined>()
    checks = {
      dir,
      state: {written: path.join(dir.written, '.secretctl'), real: path.join(dir.real, '.secretctl')},
      allowed: roots.allowed.map(both),
      realFolder(folder) {
        if (folders.has(folder)) return folders.get(folder)
        let real: string | undefined
        try {
          real = realpathSync.native(folder)
        } catch {
          real = undefined
        }
        folders.set(folder, real)
        return real
      },
    }
    checksOf.set(roots, checks)
  }
  return checks
}

/** Refuses a resolved path outside the allowed roots, or inside the state directory. */
function outsideRoots(real: string, checks: RootChecks, resolved: boolean): FileRefusal | undefined {
  const side = resolved ? 'real' : 'written'
  if (within(real, checks.state[side])) {
    return {ok: false, problem: 'is inside .secretctl/, where the state lives', hint: 'value files cannot be read from the state directory'}
  }
  if (within(real, checks.dir[side]) || checks.allowed.some((root) => within(real, root[side]))) return undefined
  return {
    ok: false,
    problem: resolved ? `is outside the manifests directory (resolved to ${real})` : 'is outside the manifests directory',
    hint: 'keep value files inside the manifests directory, or allow their directory in secretctl.yaml: allowedFileRoots: [DIR]',
  }
}

function within(file: string, root: string): boolean {
  // Without path.relative where paths are compared as strings (POSIX): both are absolute and normalized here.
  if (path.sep === '/' && root.length > 1) {
    if (!file.startsWith(root)) return false
    if (file.length === root.length) return true
    return file[root.length] === '/' && !file.startsWith('..', root.length + 1)
  }
  const rel = path.relative(root, file)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

function realOrSelf(p: string): string {
  try {
    return realpathSync.native(p)
  } catch {
    return path.resolve(p)
  }
}

/** Why a file could not be read, from its error code only (never its content). */
export function fsReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return 'does not exist'
  if (code === 'EACCES' || code === 'EPERM') return 'cannot be read (permission denied)'
  if (code === 'EISDIR') return 'is a directory'
  if (code === 'ELOOP') return 'is a symbolic link loop'
  return `cannot be read (${code ?? 'error'})`
}
