/**
 * The manifests digest a plan records: sha256 over the files sorted by relative path, each as
 * `path NUL content NUL`. A saved plan is refused when the manifests changed since.
 */
import {createHash} from 'node:crypto'
import {compareCodeUnits} from './discover-files.js'

export function manifestsDigest(files: {file: string; content: Buffer}[]): string {
  const hash = createHash('sha256')
  for (const {file, content} of [...files].sort((a, b) => compareCodeUnits(a.file, b.file))) {
    hash.update(file, 'utf8').update('\0').update(content).update('\0')
  }
  return hash.digest('hex')
}
