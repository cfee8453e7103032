/**
 * Finds the manifest files of a directory: every `*.yaml` / `*.yml` below it, in a stable order
 * (sorted relative paths), leaving out the state directory, `node_modules`, dot-directories and
 * the project configuration file at the root.
 */
import {readdir} from 'node:fs/promises'
import path from 'node:path'

/** Names of the project configuration file at the manifests directory's root. */
export const PROJECT_CONFIG_FILES = ['secretctl.yaml', 'secretctl.yml']

const SKIPPED_DIRS = new Set(['.secretctl', 'node_modules'])

export interface DiscoveredFiles {
  /** Manifest files, relative to the directory with `/` separators, sorted. */
  manifests: string[]
  /** Project configuration files present at the root (normally none or one), sorted. */
  configs: string[]
}

export async function discoverFiles(dir: string): Promise<DiscoveredFiles> {
  const manifests: string[] = []
  const configs: string[] = []
  await walk(dir, '', manifests, configs)
  return {manifests: manifests.sort(compareCodeUnits), configs: configs.sort(compareCodeUnits)}
}

async function walk(root: string, rel: string, manifests: string[], configs: string[]): Promise<void> {
  const entries = await readdir(path.join(root, rel), {withFileTypes: true})
  for (const entry of entries) {
    const relPath = rel ? `${rel}/${entry.name}` : entry.name
    if (entry.isDirectory()) {
      if (entry.name.startsWith('.') || SKIPPED_DIRS.has(entry.name)) continue
      await walk(root, relPath, manifests, configs)
    } else if (entry.isFile() && /\.ya?ml$/i.test(entry.name)) {
      if (!rel && PROJECT_CONFIG_FILES.includes(entry.name)) configs.push(relPath)
      else manifests.push(relPath)
    }
  }
}

/** Plain code-unit order: the same on every machine and locale. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
