/**
 * Finds the manifest files of a directory: every `*.yaml` / `*.yml` below it, in a stable order
 * (sorted relative paths), leaving out the state directory, `node_modules`, dot-directories and
 * the project configuration file at the root; symbolic links followed inside the directory.
 */
import {readdir, realpath, stat} from 'node:fs/promises'
import path from 'node:path'

/** Names of the project configuration file at the manifests directory's root. */
export const PROJECT_CONFIG_FILES = ['secretctl.yaml', 'secretctl.yml']

const SKIPPED_DIRS = new Set(['.secretctl', 'node_modules'])

export interface DiscoveredFiles {
  /** Manifest files, relative to the directory with `/` separators, sorted. */
  manifests: string[]
  /** Project configuration files present at the root (normally none or one), sorted. */
  configs: string[]
  /** Symbolic links that were not followed (they lead outside the directory, or nowhere), with why. */
  refused: Array<{file: string; reason: string}>
}

/**
 * Symbolic links are followed when they lead to a file or directory inside `dir` (each real
 * directory walked once, so a loop ends); one that leads outside it, or nowhere, is reported,
 * never skipped silently.
 */
export async function discoverFiles(dir: string): Promise<DiscoveredFiles> {
  const found: DiscoveredFiles = {manifests: [], configs: [], refused: []}
  const root = await realpath(dir)
  await walk({root, dir, visited: new Set([root]), found}, '')
  found.manifests.sort(compareCodeUnits)
  found.configs.sort(compareCodeUnits)
  return found
}

interface Walk {
  /** The directory's real path: a link may lead anywhere under it. */
  root: string
  dir: string
  visited: Set<string>
  found: DiscoveredFiles
}

async function walk(w: Walk, rel: string): Promise<void> {
  // Real entries before links, so that what a link leads to again is found under its real path.
  const entries = (await readdir(path.join(w.dir, rel), {withFileTypes: true})).sort(
    (a, b) => Number(a.isSymbolicLink()) - Number(b.isSymbolicLink()) || compareCodeUnits(a.name, b.name),
  )
  for (const entry of entries) {
    const relPath = rel ? `${rel}/${entry.name}` : entry.name
    let isDirectory = entry.isDirectory()
    let isFile = entry.isFile()
    if (entry.isSymbolicLink()) {
      if (entry.name.startsWith('.') || SKIPPED_DIRS.has(entry.name)) continue
      const target = await realpath(path.join(w.dir, relPath)).catch(() => undefined)
      const inside = target !== undefined && (target === w.root || target.startsWith(`${w.root}${path.sep}`))
      if (!target || !inside) {
        if (isManifestName(entry.name) || (target && (await stat(target).catch(() => undefined))?.isDirectory())) {
          w.found.refused.push({
            file: relPath,
            reason: target ? 'a symbolic link to outside the manifests directory' : 'a symbolic link that leads nowhere',
          })
        }
        continue
      }
      const info = await stat(target)
      isDirectory = info.isDirectory()
      isFile = info.isFile()
      if (isDirectory) {
        if (w.visited.has(target)) continue
        w.visited.add(target)
      }
    }
    if (isDirectory) {
      if (entry.name.startsWith('.') || SKIPPED_DIRS.has(entry.name)) continue
      if (!entry.isSymbolicLink()) {
        const real = await realpath(path.join(w.dir, relPath))
        if (w.visited.has(real)) continue
        w.visited.add(real)
      }
      await walk(w, relPath)
    } else if (isFile && isManifestName(entry.name)) {
      if (!rel && PROJECT_CONFIG_FILES.includes(entry.name)) w.found.configs.push(relPath)
      else w.found.manifests.push(relPath)
    }
  }
}

function isManifestName(name: string): boolean {
  return /\.ya?ml$/i.test(name)
}

/** Plain code-unit order: the same on every machine and locale. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
