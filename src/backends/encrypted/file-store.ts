/**
 * The `path:` variant of the encrypted backend: the whole store document in one JSON file, mode
 * 0600, replaced atomically. A write goes to a temporary file in the same directory (so the
 * rename stays on one filesystem), is fsynced, renamed over the store, and the directory is
 * fsynced so the rename itself survives a power loss. A reader sees the old file or the new one,
 * never a mix; a crash before the rename leaves the old file, and its password, in force.
 *
 * A missing file is an empty store only when the caller says it is creating one; otherwise it is
 * an error, never "no secrets". Messages name the file and the backend, never the content (a
 * JSON.parse message quotes the input, so it is not passed on).
 */
import {randomBytes} from 'node:crypto'
import {mkdir, open, readFile, rename, unlink} from 'node:fs/promises'
import path from 'node:path'
import {BackendError} from '../../errors.js'
import {CorruptStoreError} from './encrypted-errors.js'
import {parseStoreDocument, type StoreDocument} from './store-document.js'

export interface ReadStoreFileOptions {
  backend: string
  /** The caller is creating the store: a missing file reads as undefined (no store yet) instead of an error. */
  create?: boolean
}

/** The document in the file; undefined only for a missing file under `create`. */
export async function readStoreFile(file: string, opts: ReadStoreFileOptions): Promise<StoreDocument | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' && opts.create) return undefined
    if (code === 'ENOENT') {
      throw new BackendError(opts.backend, `encrypted store file ${file} does not exist`, {
        hint: 'check the backend path:, or create the store first (a missing file is never read as an empty store)',
      })
    }
    throw new BackendError(opts.backend, `cannot read encrypted store file ${file}: ${code ?? 'error'}`)
  }
  const where = `store file ${file}: `
  if (text.trim() === '') throw new CorruptStoreError(opts.backend, `${where}empty (truncated)`, 'restore the file from a backup')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new CorruptStoreError(opts.backend, `${where}not valid JSON (truncated or corrupt)`, 'restore the file from a backup')
  }
  return parseStoreDocument(value, opts.backend, where)
}

/** A store file written to its temporary name and fsynced, not yet in place. */
export interface StagedStoreFile {
  readonly tempPath: string
  /** Renames it over the store and fsyncs the directory: the one step that makes the new content current. */
  commit(): Promise<void>
  /** Removes the temporary file (the old store stays as it was). */
  discard(): Promise<void>
}

/** Writes the document beside the store file under a temporary name (0600, fsynced). */
export async function stageStoreFile(file: string, doc: StoreDocument, opts: {backend: string}): Promise<StagedStoreFile> {
  const dir = path.dirname(file)
  try {
    await mkdir(dir, {recursive: true, mode: 0o700})
  } catch (err) {
    throw new BackendError(
      opts.backend,
      `cannot create the directory of encrypted store file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    )
  }
  const tempPath = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    // 'wx': a fresh file, never someone else's; 0600 from the first byte.
    const handle = await open(tempPath, 'wx', 0o600)
    try {
      await handle.writeFile(serialiseStoreDocument(doc), 'utf8')
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch (err) {
    await unlink(tempPath).catch(() => {})
    throw new BackendError(opts.backend, `cannot write encrypted store file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`)
  }
  return {
    tempPath,
    async commit() {
      try {
        await rename(tempPath, file)
      } catch (err) {
        await unlink(tempPath).catch(() => {})
        throw new BackendError(
          opts.backend,
          `cannot replace encrypted store file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        )
      }
      await syncDirectory(dir)
    },
    async discard() {
      await unlink(tempPath).catch(() => {})
    },
  }
}

/** Replaces the store file with the document, atomically. */
export async function writeStoreFile(file: string, doc: StoreDocument, opts: {backend: string}): Promise<void> {
  const staged = await stageStoreFile(file, doc, opts)
  await staged.commit()
}

/** The file's text: stable key order (secrets and keys sorted), two-space JSON, a final newline. */
export function serialiseStoreDocument(doc: StoreDocument): string {
  const secrets = Object.fromEntries(
    Object.keys(doc.secrets)
      .sort()
      .map((name) => {
        const keys = doc.secrets[name]!
        return [
          name,
          Object.fromEntries(
            Object.keys(keys)
              .sort()
              .map((key) => [key, keys[key]!]),
          ),
        ]
      }),
  )
  const versions = Object.fromEntries(
    Object.keys(doc.versions)
      .sort()
      .map((name) => [name, doc.versions[name]!]),
  )
  const ordered = {format: doc.format, version: doc.version, kdf: doc.kdf, keyCheck: doc.keyCheck, secrets, versions}
  return `${JSON.stringify(ordered, null, 2)}\n`
}

/** Makes a rename durable. Windows cannot open a directory; there the rename is as durable as NTFS makes it. */
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
