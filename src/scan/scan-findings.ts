/**
 * What `secretctl scan` reports: where a managed value occurs (file and line, and the commit for
 * one found in history), which secret and key it is, never the value; a literal-looking secret in
 * a manifest outside `data` (which rule matched, never the text); a `.env` file git tracks with
 * values in clear (which keys, never their values). Plain data, rendered by src/render/scan-text.ts.
 */

export interface ValueFinding {
  kind: 'value'
  /** Relative to the working directory, `/`-separated. */
  file: string
  line: number
  /** The commit whose added lines hold it (`--git`); absent for a file in the tree. */
  commit?: string
  /** In the lines staged for the next commit (`--staged`). */
  staged?: true
  secret: string
  key: string
  /** For a line of a multi-line value: which line of the value. */
  valueLine?: number
}

export interface LiteralFinding {
  kind: 'literal'
  file: string
  line: number
  /** What it looks like: `a GitHub token (ghp_…)`, `a high-entropy string`. */
  rule: string
}

export interface EnvFileFinding {
  kind: 'env-file'
  file: string
  /** The keys whose values are in clear. */
  keys: string[]
}

export type Finding = ValueFinding | LiteralFinding | EnvFileFinding

/** A stable order: by file, line, commit, then what. */
export function sortFindings(findings: Finding[]): Finding[] {
  const key = (f: Finding) =>
    [
      f.file,
      String('line' in f ? f.line : 0).padStart(9, '0'),
      'commit' in f ? (f.commit ?? '') : 'staged' in f ? 'staged' : '',
      f.kind,
      'secret' in f ? `${f.secret}\0${f.key}\0${f.valueLine ?? 0}` : '',
    ].join('\0')
  return [...findings].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
}
