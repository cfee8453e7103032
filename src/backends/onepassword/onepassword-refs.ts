/**
 * 1Password secret references, `op://<vault>/<item>/[<section>/]<field>`, as the 1Password apps
 * copy them (developer.1password.com/docs/cli/secrets-reference-syntax): vault, item, section and
 * field each by name or ID. Field and section names match case-insensitively, as references do;
 * vault names and item titles go to Connect's `eq` filters, which match exactly. Query parameters
 * (`?attribute=otp`) and file attachments are not supported.
 */

export interface OpRef {
  vault: string
  item: string
  section?: string
  field: string
}

/** What is wrong with a reference as written, or undefined. Never repeats the text: a mistaken literal value could sit there. */
export function checkOpRef(ref: string): string | undefined {
  if (!ref.startsWith('op://')) return 'must be a 1Password secret reference starting with op://'
  if (ref.includes('?')) return 'query parameters (?attribute=…) are not supported: name a field'
  const parts = ref.slice('op://'.length).split('/')
  if (parts.length < 3 || parts.length > 4) return 'must be op://vault/item/field or op://vault/item/section/field'
  if (parts.some((p) => p.trim() === '')) return 'vault, item, section and field cannot be empty'
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (parts.some((p) => /[\x00-\x1f\x7f]/.test(p))) return 'must not hold control characters'
  return undefined
}

/** A checked reference's parts (the manifest loader has checked it). */
export function parseOpRef(ref: string): OpRef {
  const [vault, item, ...rest] = ref.slice('op://'.length).split('/') as [string, string, ...string[]]
  return rest.length === 2 ? {vault, item, section: rest[0], field: rest[1] as string} : {vault, item, field: rest[0] as string}
}

export function formatOpRef(r: Pick<OpRef, 'vault' | 'item'> & Partial<OpRef>): string {
  return ['op:/', r.vault, r.item, r.section, r.field].filter((p) => p !== undefined).join('/')
}

/** 1Password's ids: 26 characters, lowercase letters and digits. */
export function looksLikeId(text: string): boolean {
  return /^[a-z0-9]{26}$/.test(text)
}
