/**
 * `secretctl import envfile FILE [--name NAME]`: a dotenv file as an import source. The file stays
 * the source of the values: the written manifest says `envFile: FILE` (relative to the manifest),
 * as one written by hand would, so that editing the file and applying keeps working as before.
 * The import reads the file exactly as that source does (src/sources/env-file.ts: dotenv parsing,
 * dotenvx-encrypted values decrypted, the file inside the manifests directory), writes the values
 * to the backend and records them with the ciphertext digests, so that `plan` right after has
 * nothing to do. Every key of the file becomes a key of one secret.
 */
import path from 'node:path'
import {UsageError} from '../errors.js'
import {importName, isValidName} from '../import/import-names.js'
import {type ImportContext, type ImportRequest, type ImportResult, type ImportSource, importSecrets} from '../import/import-secrets.js'
import {OpenedFile} from '../sources/encrypted-files.js'
import {envFile, openEnvFile} from '../sources/env-file.js'
import {fileRoots} from '../sources/resolve-values.js'

export interface ImportEnvfileRequest extends Omit<ImportRequest, 'source'> {
  /** The dotenv file, inside the manifests directory. */
  file: string
  /** The secret's name (default: from the file's name, `.env.production` → `env.production`). */
  name?: string
}

export function importEnvfile(req: ImportEnvfileRequest): Promise<ImportResult> {
  if (req.name !== undefined && !isValidName(req.name)) {
    throw new UsageError(
      `--name ${JSON.stringify(req.name)} is not a valid secret name`,
      `lowercase letters, digits, '-', '_' and '.', starting and ending with a letter or digit, at most 63: e.g. ${importName(req.name)}`,
    )
  }
  const file = path.resolve(req.file)
  const read = async ({ws}: ImportContext): Promise<ImportSource> => {
    const roots = fileRoots(ws.desired)
    const opened = await openEnvFile(file, {roots, cache: new Map(), env: req.env})
    if (!(opened instanceof OpenedFile)) {
      const outside = /outside/.test(opened.problem)
      throw new UsageError(
        `${req.file} ${opened.problem}`,
        outside
          ? `the manifest's ${envFile.field} must be readable by plan: put the file inside the manifests directory ${ws.desired.dir}`
          : opened.hint,
      )
    }
    if (opened.failure) throw new UsageError(`${req.file}: ${opened.failure.message}`, opened.failure.hint)
    const values: Record<string, string> = {}
    const cipherDigests: Record<string, string> = {}
    for (const key of opened.keys()) {
      values[key] = opened.value(key) as string
      const digest = opened.cipher.get(key)
      if (digest !== undefined) cipherDigests[key] = digest
    }
    if (!Object.keys(values).length) throw new UsageError(`${req.file} holds no KEY=VALUE line`, 'nothing to import')
    const sourceName = path.basename(file)
    return {
      kind: 'envfile',
      origin: file,
      items: [
        {
          sourceName,
          name: req.name ?? importName(sourceName),
          values,
          keySource: envFile.kind,
          cipherDigests,
          envFile: file,
        },
      ],
    }
  }
  return importSecrets({...req, source: {kind: 'envfile', read}})
}
