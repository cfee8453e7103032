/**
 * The Markdown plan as a reader sees it: rendered by a CommonMark implementation (the reference
 * `commonmark` package) and reduced to the text a browser shows, so escaping that shows up as
 * `&#95;` in a code span (issue 11, item 18) cannot pass unnoticed.
 */
import {HtmlRenderer, Parser} from 'commonmark'
import {describe, expect, it} from 'vitest'
import {DETAILS_CAP, renderPlanMarkdown} from '../../../src/render/plan-markdown.js'
import {FORMAT_VERSION, Phase, type Change, type Plan} from '../../../src/plan/types.js'
import {summarise} from '../../../src/plan/compute-plan.js'

/** What a browser shows of the HTML: tags dropped, character references decoded. */
function seen(markdown: string): string {
  const html = new HtmlRenderer().render(new Parser().parse(markdown))
  return html
    .replace(/<[^>]+>/g, '')
    .replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n) => String.fromCharCode(Number.parseInt(n, 16)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
}

function update(name: string): Change {
  return {
    address: `secret.${name}`,
    kind: 'secret',
    name,
    action: 'update',
    phase: Phase.Secrets,
    reason: 'value of API_KEY changed; key OLD_TOKEN removed',
    before: {backend: 'my_bao', keys: ['API_KEY', 'OLD_TOKEN']},
    after: {backend: 'my_bao', keys: ['API_KEY']},
    keys: {API_KEY: 'changed', OLD_TOKEN: 'removed'},
  }
}

function plan(changes: Change[]): Plan {
  return {
    formatVersion: FORMAT_VERSION,
    lineage: 'L',
    serial: 1,
    manifestsDigest: 'd',
    sourceFingerprints: {},
    options: {prune: false, rotate: false, targets: []},
    changes,
    summary: summarise(changes),
    warnings: ['secret old_one is in the state but not in the manifests; apply with --prune to delete it'],
  }
}

describe('the Markdown plan, rendered', () => {
  it('addresses, key names and reasons with underscores read as written; no character reference shows', () => {
    const text = seen(renderPlanMarkdown(plan([update('github_app')])).join(''))
    expect(text).toContain('~ secret.github_app')
    expect(text).toContain('API_KEY')
    expect(text).toContain('OLD_TOKEN')
    expect(text).toContain('value of API_KEY changed; key OLD_TOKEN removed')
    expect(text).toContain('secrets on my_bao')
    expect(text).toContain('secret old_one is in the state')
    expect(text).not.toMatch(/&#\d+;|&amp;/)
  })

  it('the one-line form past the cap reads as written too', () => {
    const many = Array.from({length: DETAILS_CAP + 1}, (_, i) => update(`app_${i}`))
    const text = seen(renderPlanMarkdown(plan(many)).join(''))
    expect(text).toContain('~ secret.app_0 update: value of API_KEY changed')
    expect(text).not.toMatch(/&#\d+;/)
  })
})
