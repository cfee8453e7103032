/**
 * `fromSops: {file: PATH, key: a.b.c}`: one value of a SOPS-encrypted YAML, JSON or dotenv file
 * (age recipients), by its path in the file: map keys and list indices joined by `.`. The file is
 * decrypted once per run, however many keys name it, and its MAC is verified before any value is used.
 */
import {fileKeyOf, fileKeySchema, keyOf, OpenedFile} from './encrypted-files.js'
import {isSopsDocument, listKeys, openSops} from './sops-file.js'
import type {KeySourceKind} from './source-kind.js'

export interface SopsSource {
  kind: 'sops'
  /** Absolute path of the SOPS file. */
  path: string
  declaredPath: string
  /** Dotted path of the value in the file (`db.password`, `hosts.0`). */
  key: string
}

export const fromSops: KeySourceKind<SopsSource> = {
  kind: 'sops',
  field: 'fromSops',
  level: 'key',
  summary:
    'A value of a SOPS-encrypted YAML, JSON or dotenv file with age recipients: `file` (relative to this manifest file) and `key`, its path in the file (`db.password`, `hosts.0`).',
  schema: fileKeySchema('The SOPS file', 'Path of the value in the file: map keys and list indices joined by `.`.'),
  build: (raw, ctx) => ({kind: 'sops', ...fileKeyOf(raw, ctx.here)}),
  valueFile: (source) => source.path,
  valueDocument: (document) => (isSopsDocument(document) ? 'SOPS-encrypted' : undefined),
  async resolve(source, ctx) {
    const opened = await openSops(source.path, ctx)
    return keyOf(opened, source.key, ctx, {
      source: 'sops',
      what: `fromSops ${source.declaredPath}`,
      missing: () => ({
        message: `fromSops ${source.declaredPath} has no value at "${source.key}"`,
        hint: opened instanceof OpenedFile ? listKeys(opened.keys()) : undefined,
      }),
    })
  },
}
