/**
 * Names of imported secrets: a source system's names (ToolHive's, a Vault path's last segment, a
 * Kubernetes Secret's) mapped to valid secretctl names (lowercase letters, digits, `-`, `_`, `.`,
 * starting and ending with a letter or digit, at most 63 characters), deterministically and
 * without two sources landing on one name, so the same source always maps the same way and the
 * mapping can be shown before anything is written.
 */

const MAX = 63
const VALID = /^[a-z0-9]([a-z0-9-_.]*[a-z0-9])?$/

/** Whether a name is a valid secretctl name as it is. */
export function isValidName(name: string): boolean {
  return name.length <= MAX && VALID.test(name)
}

/** One name made valid: lowercased, other characters as `-` (runs folded), trimmed to letters or digits at both ends. */
export function importName(sourceName: string): string {
  const folded = sourceName
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9-_.]+/g, '-')
    .replace(/-{2,}/g, '-')
  const trimmed = trimEnds(folded.slice(0, MAX))
  return trimmed || 'secret'
}

/** Every source name → its secretctl name, unique: a name taken by an earlier source (in sorted order) gets `-2`, `-3`, …. */
export function mapImportNames(sourceNames: readonly string[]): Map<string, string> {
  const out = new Map<string, string>()
  const taken = new Set<string>()
  // Names valid as they are keep them whatever their order; the others are placed after, in sorted order.
  const sorted = [...new Set(sourceNames)].sort((a, b) => Number(!VALID.test(a)) - Number(!VALID.test(b)) || (a < b ? -1 : a > b ? 1 : 0))
  for (const source of sorted) {
    const base = importName(source)
    let name = base
    for (let n = 2; taken.has(name); n++) {
      const suffix = `-${n}`
      name = `${trimEnds(base.slice(0, MAX - suffix.length))}${suffix}`
    }
    taken.add(name)
    out.set(source, name)
  }
  return out
}

function trimEnds(name: string): string {
  return name.replace(/^[^a-z0-9]+/, '').replace(/[^a-z0-9]+$/, '')
}
