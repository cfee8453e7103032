/**
 * The CI recipes in docs/ci/ are run by users as they are: parse them and check that every
 * secretctl command line in them names a real command whose flags exist (per the oclif manifest).
 */
import {describe, it, expect} from 'vitest'
import {readFileSync, existsSync} from 'node:fs'
import path from 'node:path'
import {parse} from 'yaml'

const ROOT = path.resolve(import.meta.dirname, '../..')

interface ManifestCommand {
  flags: Record<string, {char?: string}>
  args: Record<string, unknown>
}

function commands(): Record<string, ManifestCommand> {
  const file = path.join(ROOT, 'oclif.manifest.json')
  if (!existsSync(file)) throw new Error('oclif.manifest.json is missing: run `npm run build` first')
  return JSON.parse(readFileSync(file, 'utf8')).commands
}

/** Every string in a YAML tree. */
function strings(node: unknown): string[] {
  if (typeof node === 'string') return [node]
  if (Array.isArray(node)) return node.flatMap(strings)
  if (node && typeof node === 'object') return Object.values(node).flatMap(strings)
  return []
}

/** Every mapping in a YAML tree (a job's env or variables among them). */
function maps(node: unknown): Record<string, unknown>[] {
  if (Array.isArray(node)) return node.flatMap(maps)
  if (node && typeof node === 'object') return [node as Record<string, unknown>, ...Object.values(node).flatMap(maps)]
  return []
}

function secretctlLines(text: string): string[][] {
  const out: string[][] = []
  for (const line of text.split('\n')) {
    const m = line.match(/(?:^|[;&|]\s*|\s)secretctl\s+(.*)$/)
    if (!m || /npm install/.test(line)) continue
    // Stop at shell operators; the rest is secretctl's argv.
    const argv = m[1]!
      .split(/\s+(?:[|>]|&&|\|\||;)\s*|\s+>/)[0]!
      .trim()
      .split(/\s+/)
      .filter(Boolean)
    out.push(argv)
  }
  return out
}

function check(argv: string[], all: Record<string, ManifestCommand>): string[] {
  // The command id is the longest prefix of words that names a command.
  let id = ''
  let rest = argv
  for (let n = Math.min(argv.length, 3); n > 0; n--) {
    const candidate = argv.slice(0, n).join(':')
    if (all[candidate]) {
      id = candidate
      rest = argv.slice(n)
      break
    }
  }
  if (!id) return [`unknown command: secretctl ${argv.join(' ')}`]
  const problems: string[] = []
  const flags = all[id]!.flags
  const chars = new Set(
    Object.values(flags)
      .map((f) => f.char)
      .filter(Boolean),
  )
  for (const word of rest) {
    if (word.startsWith('--')) {
      const name = word.slice(2).split('=')[0]!
      if (!flags[name]) problems.push(`secretctl ${id.replace(/:/g, ' ')} has no flag --${name}`)
    } else if (/^-[a-zA-Z]$/.test(word) && !chars.has(word.slice(1))) problems.push(`secretctl ${id} has no flag ${word}`)
  }
  return problems
}

describe('docs/ci recipes', () => {
  for (const file of ['github-actions.yml', 'gitlab-ci.yml']) {
    it(`${file}: valid YAML whose secretctl command lines exist`, () => {
      const doc = parse(readFileSync(path.join(ROOT, 'docs/ci', file), 'utf8'))
      const lines = strings(doc).flatMap(secretctlLines)
      expect(lines.length).toBeGreaterThanOrEqual(3)
      const all = commands()
      expect(lines.flatMap((argv) => check(argv, all))).toEqual([])
      // The recipes must use the gate and the saved plan.
      const flat = lines.map((l) => l.join(' '))
      expect(flat.some((l) => l.startsWith('plan') && l.includes('--detailed-exitcode') && l.includes('--markdown'))).toBe(true)
      expect(flat.some((l) => l.startsWith('apply') && /\bplan[-\w$]*\.json\b/.test(l))).toBe(true)
      // The plan job runs as the planner, which cannot read the trust root's tokens: it brings its own.
      const plannerEnv = maps(doc).filter((m) => typeof m.SECRETCTL_STATE === 'string' && /PLANNER/.test(m.SECRETCTL_STATE))
      expect(plannerEnv.length).toBe(1)
      expect(Object.keys(plannerEnv[0]!).filter((k) => /^SECRETCTL_BACKEND_TOKEN_[A-Z0-9_]+$/.test(k))).not.toEqual([])
    })
  }

  it('github-actions.yml: plans and applies every environment, a matrix job each, --env on every command', () => {
    const doc = parse(readFileSync(path.join(ROOT, 'docs/ci/github-actions.yml'), 'utf8'))
    for (const job of ['plan', 'apply']) {
      expect(doc.jobs[job].strategy.matrix.environment).toEqual(['staging', 'production'])
      const lines = strings(doc.jobs[job].steps).flatMap(secretctlLines)
      expect(lines.length).toBeGreaterThan(0)
      for (const argv of lines) expect(argv.join(' ')).toContain('--env ${{ matrix.environment }}')
    }
    // The saved plan of each environment travels under its own name.
    expect(JSON.stringify(doc.jobs.plan.steps)).toContain('secretctl-plan-${{ matrix.environment }}-')
  })

  it('gitlab-ci.yml: plans and applies every environment, SECRETCTL_ENV from a matrix both jobs extend', () => {
    const doc = parse(readFileSync(path.join(ROOT, 'docs/ci/gitlab-ci.yml'), 'utf8'))
    expect(doc['.environments'].parallel.matrix).toEqual([{SECRETCTL_ENV: ['staging', 'production']}])
    for (const job of ['secretctl-plan', 'secretctl-apply']) {
      expect(doc[job].extends).toBe('.environments')
      expect(doc[job].environment.name).toBe('secrets/$SECRETCTL_ENV')
    }
    expect(doc['secretctl-apply'].resource_group).toBe('secretctl-$SECRETCTL_ENV')
  })

  it('the checker catches a flag that does not exist', () => {
    expect(check(['plan', '--no-such-flag'], commands())).toEqual(['secretctl plan has no flag --no-such-flag'])
  })
})
