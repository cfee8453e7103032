/**
 * `fromEnvFile: {file: PATH, key: NAME}`: one variable of a dotenv file, under a key name of the
 * secret's own choosing (where `envFile` takes every variable under its own name). Plain values
 * as dotenv reads them; dotenvx-encrypted values (`encrypted:…`) decrypted, as `envFile` does.
 */
import path from 'node:path'
import {keyOf} from './encrypted-files.js'
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
  schema: {
    type: 'object',
    properties: {
      file: {description: 'The dotenv file, relative to this manifest file.', type: 'string', minLength: 1},
      key: {description: 'The variable in the file.', type: 'string', minLength: 1},
    },
    required: ['file', 'key'],
    additionalProperties: false,
  },
  build(raw, ctx) {
    const {file, key} = raw as {file: string; key: string}
    return {kind: 'envFileKey', path: path.resolve(ctx.here, file), declaredPath: file, variable: key}
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
