/**
 * `secretctl scan` on the manifests themselves: a literal secret outside `data` (the loader already
 * refuses one in `data`), such as a token pasted in a description or a comment. Every line of
 * every manifest file but the lines of a Secret's `data` block is cut into tokens (between blanks,
 * quotes and `,;()[]{}<>`), and each token is checked against
 *   - known prefixes of providers' tokens (PREFIX_RULES: GitHub, OpenAI-style `sk-`, Stripe,
 *     AWS access key ids, Slack, GitLab, Google API keys, npm, OpenBao/Vault, JWTs, private keys);
 *   - a high-entropy test: 20 characters or more of [A-Za-z0-9+/=_.-] with upper case, lower
 *     case and digits, or 32 or more hexadecimal digits, at 3.5 bits of Shannon entropy per
 *     character or more; URLs, paths and `sha256:`-style digests are not tested, and neither is
 *     `certificateAuthorityData` (a CA certificate is public).
 * A finding names the file, the line and the rule, never the text.
 */
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {discoverFiles} from '../manifests/discover-files.js'
import type {LiteralFinding} from './scan-findings.js'

export const PREFIX_RULES: ReadonlyArray<{rule: string; pattern: RegExp}> = [
  {rule: 'a GitHub token (ghp_, gho_, ghu_, ghs_, ghr_)', pattern: /^gh[pousr]_[A-Za-z0-9]{36,}/},
  {rule: 'a GitHub fine-grained token (github_pat_)', pattern: /^github_pat_[A-Za-z0-9_]{22,}/},
  {rule: 'an API key (sk-, as OpenAI and Anthropic issue them)', pattern: /^sk-[A-Za-z0-9_-]{20,}/},
  {rule: 'a Stripe live key (sk_live_, rk_live_)', pattern: /^[rs]k_live_[A-Za-z0-9]{16,}/},
  {rule: 'an AWS access key id (AKIA, ASIA)', pattern: /^(AKIA|ASIA)[A-Z0-9]{16}$/},
  {rule: 'a Slack token (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xapp-)', pattern: /^(xox[abprs]|xapp)-[A-Za-z0-9-]{10,}/},
  {rule: 'a GitLab token (glpat-)', pattern: /^glpat-[A-Za-z0-9_-]{20,}/},
  {rule: 'a Google API key (AIza)', pattern: /^AIza[0-9A-Za-z_-]{35}/},
  {rule: 'an npm token (npm_)', pattern: /^npm_[A-Za-z0-9]{36}/},
  {rule: 'an OpenBao/Vault token (hvs., hvb., hvr.)', pattern: /^hv[sbr]\.[A-Za-z0-9_-]{20,}/},
  {rule: 'a JSON Web Token (eyJ…)', pattern: /^eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/},
]
const PRIVATE_KEY = /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----/
const TOKEN_SPLIT = /[\s"'`,;()[\]{}<>]+/
const ENTROPY_ALPHABET = /^[A-Za-z0-9+/=_.-]+$/
const HEX = /^[0-9a-fA-F]+$/
const NOT_SECRETS = /:\/\/|^[./~]|^(sha1|sha256|sha384|sha512|md5)[:-]/i
const PUBLIC_FIELDS = /^\s*certificateAuthorityData\s*:/

/** What a token looks like, or undefined. */
export function literalRule(token: string): string | undefined {
  for (const r of PREFIX_RULES) if (r.pattern.test(token)) return r.rule
  const bare = token.replace(/^[^A-Za-z0-9]+|[.:]+$/g, '')
  if (NOT_SECRETS.test(token) || !ENTROPY_ALPHABET.test(bare)) return undefined
  const hex = bare.length >= 32 && HEX.test(bare) && /[0-9]/.test(bare) && /[a-fA-F]/.test(bare)
  const mixed = bare.length >= 20 && /[a-z]/.test(bare) && /[A-Z]/.test(bare) && /[0-9]/.test(bare)
  if ((hex || mixed) && entropy(bare) >= 3.5) return 'a high-entropy string'
  return undefined
}

/** Shannon entropy of a string, in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>()
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1)
  let h = 0
  for (const n of counts.values()) {
    const p = n / s.length
    h -= p * Math.log2(p)
  }
  return h
}

/** Literal-looking secrets in the manifests of `dir`, outside Secrets' `data`; files named relative to `cwd`. */
export async function scanManifestLiterals(dir: string, cwd: string): Promise<LiteralFinding[]> {
  const {manifests} = await discoverFiles(dir)
  const out: LiteralFinding[] = []
  for (const rel of manifests) {
    const abs = path.join(dir, rel)
    let text: string
    try {
      text = readFileSync(abs, 'utf8')
    } catch {
      continue
    }
    const file = path.relative(cwd, abs).split(path.sep).join('/')
    const found: LiteralFinding[] = []
    text.split('\n').forEach((line, i) => {
      if (PUBLIC_FIELDS.test(line) || line.includes('yaml-language-server:')) return
      const rules = new Set<string>()
      if (PRIVATE_KEY.test(line)) rules.add('a private key (-----BEGIN … PRIVATE KEY-----)')
      for (const token of line.split(TOKEN_SPLIT)) {
        const rule = token ? literalRule(token) : undefined
        if (rule) rules.add(rule)
      }
      for (const rule of rules) found.push({kind: 'literal', file, line: i + 1, rule})
    })
    // The YAML is parsed (for where the data blocks are) only for a file where something was found.
    if (!found.length) continue
    const skipped = await dataLines(rel, abs, text)
    out.push(...found.filter((f) => !skipped.has(f.line)))
  }
  return out
}

/** The lines of the `data` blocks of the file's Secret documents (1-based). The YAML parser is loaded only when needed. */
async function dataLines(rel: string, abs: string, text: string): Promise<Set<number>> {
  const [{parseDocuments}, {locate, positionAt}] = await Promise.all([
    import('../manifests/parse-documents.js'),
    import('../manifests/positions.js'),
  ])
  const lines = new Set<number>()
  for (const doc of parseDocuments(rel, abs, text, [])) {
    const kind = (doc.value as {kind?: unknown}).kind
    if (typeof kind !== 'string' || kind.toLowerCase() !== 'secret') continue
    const found = locate(doc, ['data'])
    const from = found.key?.range ?? found.value?.range
    const to = found.value?.range ?? found.key?.range
    if (!from || !to) continue
    const first = positionAt(rel, doc.tree.lines, from[0]).line
    const last = positionAt(rel, doc.tree.lines, Math.max(to[1] - 1, to[0])).line
    for (let l = first; l <= last; l++) lines.add(l)
  }
  return lines
}
