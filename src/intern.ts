/**
 * One copy of a string that many records repeat (a backend's name, a group commit's timestamp, a
 * field's dotted path, a change's reason): the table's copy is returned, and the caller's own can be
 * collected. At 100,000 secrets a copy each was megabytes (docs/performance.md, peak RSS at 100,000).
 */
export function intern(table: Map<string, string>, text: string): string {
  const seen = table.get(text)
  if (seen !== undefined) return seen
  table.set(text, text)
  return text
}
