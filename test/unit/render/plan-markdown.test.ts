import {describe, it, expect} from 'vitest'
import {renderPlanMarkdown, COMMENT_LIMIT, DETAILS_CAP} from '../../../src/render/plan-markdown.js'
import {FORMAT_VERSION, Phase, type Change, type Plan} from '../../../src/plan/types.js'
import {summarise} from '../../../src/plan/compute-plan.js'

function move(i: number, to: string, keys = 3): Change {
  const name = `mcp-server-${String(i).padStart(5, '0')}`
  const k = Object.fromEntries(Array.from({length: keys}, (_, j) => [`KEY_${j}`, 'unchanged' as const]))
  return {
    address: `secret.${name}`,
    kind: 'secret',
    name,
    action: 'move',
    phase: Phase.Secrets,
    reason: `backend default → ${to}`,
    before: {backend: 'default', keys: Object.keys(k)},
    after: {backend: to, keys: Object.keys(k)},
    keys: k,
    from: 'default',
    to,
  }
}

function plan(changes: Change[]): Plan {
  return {
    formatVersion: FORMAT_VERSION,
    lineage: 'L',
    serial: 7,
    manifestsDigest: 'd',
    sourceFingerprints: {},
    options: {prune: false, rotate: false, targets: []},
    changes,
    summary: summarise(changes),
    warnings: [],
  }
}

describe('renderPlanMarkdown', () => {
  it('names the environment in the heading, so a CI matrix posts one comment per environment that says which', () => {
    expect(renderPlanMarkdown({...plan([move(1, 'bao')]), environment: 'production'})[0]).toMatch(
      /^### secretctl plan: environment `production`\n/,
    )
    expect(renderPlanMarkdown(plan([move(1, 'bao')]))[0]).toMatch(/^### secretctl plan\n/)
  })

  it('a small plan: one part, a summary line, a collapsible section per change', () => {
    const parts = renderPlanMarkdown(plan([move(1, 'bao'), move(2, 'bao')]))
    expect(parts).toHaveLength(1)
    expect(parts[0]).toContain('**Plan: 0 to create, 0 to update, 2 to move, 0 to delete.**')
    expect(parts[0]!.match(/<details>/g)).toHaveLength(2)
    expect(parts[0]).toContain('#### secrets on bao (2 move)')
  })

  it('500 changes: grouped by backend, details collapsed to one line each past the cap, under the comment limit', () => {
    const changes = [
      ...Array.from({length: 300}, (_, i) => move(i, 'bao')),
      ...Array.from({length: 200}, (_, i) => move(300 + i, 'vault-eu')),
    ]
    const parts = renderPlanMarkdown(plan(changes))
    const all = parts.join('')
    expect(all).toContain('#### secrets on bao (300 move)')
    expect(all).toContain('#### secrets on vault-eu (200 move)')
    expect(all).toContain('_300 changes: details collapsed to one line each._')
    expect(all).not.toContain('<details>')
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(COMMENT_LIMIT)
    expect(renderPlanMarkdown(plan(changes))).toEqual(parts)
  })

  it('a plan too long for one comment is split into numbered parts, each under the limit, every change present once', () => {
    const changes = Array.from({length: 5000}, (_, i) => move(i, 'bao', 6))
    const parts = renderPlanMarkdown(plan(changes))
    expect(parts.length).toBeGreaterThan(1)
    parts.forEach((p, i) => {
      expect(p.length).toBeLessThanOrEqual(COMMENT_LIMIT)
      expect(p.startsWith(`<sub>secretctl plan, part ${i + 1} of ${parts.length}</sub>`)).toBe(true)
    })
    expect(parts[0]).toContain('**Plan: 0 to create, 0 to update, 5000 to move, 0 to delete.**')
    const listed = parts.join('').match(/secret\.mcp-server-\d{5}/g)!
    expect(new Set(listed).size).toBe(5000)
    expect(listed).toHaveLength(5000)
  })

  it(`groups of at most ${DETAILS_CAP} keep their details`, () => {
    const parts = renderPlanMarkdown(plan(Array.from({length: DETAILS_CAP}, (_, i) => move(i, 'bao'))))
    expect(parts[0]!.match(/<details>/g)).toHaveLength(DETAILS_CAP)
  })
})
