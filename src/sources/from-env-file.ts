/**
 * `fromEnvFile: {file: PATH, key: NAME}`: one variable of a dotenv file, under a key name of the
 * secret's own choosing (where `envFile` takes every variable under its own name). Plain values
 * as dotenv reads them; dotenvx-encrypted values (`encrypted:…`) decrypted, as `envFile` does.
 */
import {fileKeyOf, fileKeySchema, keyOf} from './encrypted-files.js'
import {openEnvFile} from './env-file.js'
import type {KeySourceKind} from './source-kind.js'

export interface EnvFileKeySource {
  kind: 'envFileKey'
  /** Absolute path of the dotenv file. */
  path: string
  declaredPath: string
  variable: string
}

export const fromEnvFile: KeySourceKind<EnvFileKeySource> = {
  kind: 'envFileKey',
  field: 'fromEnvFile',
  level: 'key',
  summary:
    'One variable of a dotenv file: `file` (relative to this manifest file) and `key`, the variable; dotenvx-encrypted values are decrypted.',
  schema: fileKeySchema('The dotenv file', 'The variable in the file.'),
  build(raw, ctx) {
    const {key, ...file} = fileKeyOf(raw, ctx.here)
    return {kind: 'envFileKey', ...file, variable: key}
  },
  valueFile: (source) => source.path,
  async resolve(source, ctx) {
    return keyOf(await openEnvFile(source.path, ctx), source.variable, ctx, {
      source: 'envFileKey',
      what: `fromEnvFile ${source.declaredPath}`,
      missing: () => ({message: `fromEnvFile ${source.declaredPath} has no variable ${source.variable}`}),
    })
  },
}
