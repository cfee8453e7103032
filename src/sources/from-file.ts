/** `fromFile: PATH`: a file's whole content as is (path relative to the manifest file; see value-files.ts for what is refused). */
import type {KeySourceKind} from './source-kind.js'
import {declaredFile, readValueFile} from './value-files.js'

export interface FileSource {
  kind: 'file'
  /** Absolute, resolved against the manifest file's directory. */
  path: string
  declaredPath: string
}

export const fromFile: KeySourceKind<FileSource> = {
  kind: 'file',
  field: 'fromFile',
  level: 'key',
  summary: 'File holding the value (path relative to this manifest file), read as is.',
  schema: {type: 'string', minLength: 1},
  build: (raw, ctx) => {
    const {path, declaredPath} = declaredFile(raw, ctx)
    return {kind: 'file', path, declaredPath} // a literal: a spread gives each source a separate property array
  },
  valueFile: (source) => source.path,
  resolve(source, ctx) {
    const read = readValueFile(source.path, ctx.roots)
    if (read.ok) return {source: 'file', value: read.text}
    const hint = read.hint ?? (source.declaredPath === source.path ? undefined : `resolved to ${source.path}`)
    ctx.report(`${ctx.who}: file ${source.declaredPath} ${read.problem}`, hint)
    return undefined
  },
}
