/** `fromEnv: VARIABLE`: the value of an environment variable of the process running secretctl. */
import type {KeySourceKind} from './source-kind.js'

export interface EnvSource {
  kind: 'env'
  variable: string
}

export const fromEnv: KeySourceKind<EnvSource> = {
  kind: 'env',
  field: 'fromEnv',
  level: 'key',
  summary: 'Name of an environment variable holding the value.',
  schema: {type: 'string', minLength: 1},
  build: (raw) => ({kind: 'env', variable: String(raw)}),
  resolve(source, ctx) {
    const value = ctx.env[source.variable]
    if (value === undefined) {
      ctx.report(`${ctx.who}: environment variable ${source.variable} is not set`, `export ${source.variable} before running secretctl`)
      return undefined
    }
    return {source: 'env', value}
  },
}
