/** `rbac print` as text: the state's GRANTs, then each backend's policy under a comment line. */
import type {AccessPolicies} from '../operations/access-policies.js'

export function renderAccessPolicies(p: AccessPolicies): string {
  let out = p.sql
  for (const {policy} of p.backends) out += 'note' in policy ? `\n# ${policy.note}\n` : `\n# ${policy.title}\n${policy.text}`
  return out
}
