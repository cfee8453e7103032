/**
 * The Secret manifests an import writes: one file per secret, `<name>.yaml`, naming the secret and
 * its backend and nothing else (placement only: the value lives on the backend; secretctl decides
 * where it lives, not what it is), or, for values that came from a dotenv file, that file
 * (`envFile:`, relative to the manifest), with a comment saying where it came from. A file is
 * created, never overwritten.
 */
import {mkdir, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {schemaComment} from '../manifests/manifest-schemas.js'

export interface ImportedManifest {
  name: string
  backend: string
  /** `toolhive`, …. */
  source: string
  sourceName: string
  origin: string
  /** The dotenv file the values come from, absolute; absent: placement only. */
  envFile?: string
}

/** Where the manifest of an imported secret goes. */
export function manifestPath(outDir: string, name: string): string {
  return path.join(outDir, `${name}.yaml`)
}

export function manifestText(m: ImportedManifest, outDir: string): string {
  // JSON quoting keeps any character of a foreign name (a newline included) inside the comment line.
  return [
    schemaComment('Secret', outDir),
    `# Imported by \`secretctl import ${m.source}\` from ${JSON.stringify(m.sourceName)} in ${JSON.stringify(m.origin)}.`,
    m.envFile === undefined
      ? `# Placement only: the value lives on backend ${m.backend}.`
      : `# The values come from the dotenv file; apply writes them to backend ${m.backend}.`,
    'kind: Secret',
    `name: ${m.name}`,
    `backend: ${m.backend}`,
    ...(m.envFile === undefined ? [] : [`envFile: ${JSON.stringify(toPosix(path.relative(outDir, m.envFile)))}`]),
    '',
  ].join('\n')
}

/** Writes one manifest; an existing file is an error (flag `wx`), never overwritten. */
export async function writeImportedManifest(m: ImportedManifest, outDir: string): Promise<string> {
  await mkdir(outDir, {recursive: true})
  const file = manifestPath(outDir, m.name)
  await writeFile(file, manifestText(m, outDir), {flag: 'wx'})
  return file
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/')
}
