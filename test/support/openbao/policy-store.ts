/**
 * One namespace's ACL policies (`vault/policy_store.go`): names lower-cased and trimmed, the
 * built-in `default` policy (OpenBao's text) present from the start and undeletable, `root`
 * special (root namespace only, immutable, never stored), a data version per policy with
 * optional check-and-set, and the parsed form cached for the ACL check.
 */
import {parsePolicy, PolicyParseError, type ParsedPolicy} from './policy.js'

/** OpenBao's built-in `default` policy. */
export const DEFAULT_POLICY = `
# Allow tokens to look up their own properties
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

# Allow tokens to renew themselves
path "auth/token/renew-self" {
    capabilities = ["update"]
}

# Allow tokens to revoke themselves
path "auth/token/revoke-self" {
    capabilities = ["update"]
}

# Allow a token to look up its own capabilities on a path
path "sys/capabilities-self" {
    capabilities = ["update"]
}

# Allow a token to look up its own entity by id or name
path "identity/entity/id/{{identity.entity.id}}" {
  capabilities = ["read"]
}
path "identity/entity/name/{{identity.entity.name}}" {
  capabilities = ["read"]
}


# Allow a token to look up its resultant ACL from all policies. This is useful
# for UIs. It is an internal path because the format may change at any time
# based on how the internal ACL features and capabilities change.
path "sys/internal/ui/resultant-acl" {
    capabilities = ["read"]
}

# Allow a token to renew a lease via lease_id in the request body; old path for
# old clients, new path for newer
path "sys/renew" {
    capabilities = ["update"]
}
path "sys/leases/renew" {
    capabilities = ["update"]
}

# Allow looking up lease properties. This requires knowing the lease ID ahead
# of time and does not divulge any sensitive information.
path "sys/leases/lookup" {
    capabilities = ["update"]
}

# Allow a token to manage its own cubbyhole
path "cubbyhole/*" {
    capabilities = ["create", "read", "update", "delete", "list"]
}

# Allow a token to wrap arbitrary values in a response-wrapping token
path "sys/wrapping/wrap" {
    capabilities = ["update"]
}

# Allow a token to look up the creation time and TTL of a given
# response-wrapping token
path "sys/wrapping/lookup" {
    capabilities = ["update"]
}

# Allow a token to unwrap a response-wrapping token. This is a convenience to
# avoid client token swapping since this is also part of the response wrapping
# policy.
path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}

# Allow general purpose tools
path "sys/tools/hash" {
    capabilities = ["update"]
}
path "sys/tools/hash/*" {
    capabilities = ["update"]
}

# Allow a token to make requests to the Authorization Endpoint for OIDC providers.
path "identity/oidc/provider/+/authorize" {
    capabilities = ["read", "update"]
}
`

export interface StoredPolicy {
  name: string
  raw: string
  parsed: ParsedPolicy
  version: number
  casRequired: boolean
  modified: number
}

export interface SetPolicyOptions {
  cas?: number
  casRequired?: boolean
}

const IMMUTABLE = ['root', 'response-wrapping']
const UNDELETABLE = ['root', 'response-wrapping', 'default']

export function sanitizePolicyName(name: string): string {
  return name.trim().toLowerCase()
}

export class PolicyStore {
  private readonly policies = new Map<string, StoredPolicy>()

  constructor(
    readonly isRootNamespace: boolean,
    private readonly now: () => number,
  ) {
    const parsed = parsePolicy('default', DEFAULT_POLICY, now())
    this.policies.set('default', {name: 'default', raw: DEFAULT_POLICY, parsed, version: 1, casRequired: false, modified: now()})
  }

  /** The policy called `name`, `root` included in the root namespace; undefined if absent. */
  get(name: string): StoredPolicy | undefined {
    const key = sanitizePolicyName(name)
    if (key === 'root') {
      if (!this.isRootNamespace) return undefined
      return {name: 'root', raw: '', parsed: {name: 'root', raw: '', paths: []}, version: 0, casRequired: false, modified: 0}
    }
    return this.policies.get(key)
  }

  /** Whether a policy of that name exists (for token creation warnings). */
  has(name: string): boolean {
    return this.get(name) !== undefined
  }

  /**
   * Creates or replaces a policy. Returns an OpenBao error message on refusal (immutable name,
   * parse failure, check-and-set mismatch), or undefined.
   */
  set(name: string, raw: string, opts: SetPolicyOptions = {}): string | undefined {
    const key = sanitizePolicyName(name)
    if (IMMUTABLE.includes(key)) return `cannot update ${JSON.stringify(key)} policy`
    let parsed: ParsedPolicy
    try {
      parsed = parsePolicy(key, raw, this.now())
    } catch (err) {
      if (err instanceof PolicyParseError) return `failed to parse policy: ${err.message}`
      throw err
    }
    const existing = this.policies.get(key)
    const casRequired = (existing?.casRequired ?? false) || (opts.casRequired ?? false)
    if (opts.cas === undefined && casRequired) return 'check-and-set parameter required for this call'
    if (opts.cas !== undefined) {
      if (opts.cas === -1 && existing) return 'check-and-set parameter set to -1 on existing entry'
      if (opts.cas !== -1 && opts.cas !== (existing?.version ?? 0)) return 'check-and-set parameter did not match the current version'
    }
    this.policies.set(key, {
      name: key,
      raw,
      parsed,
      version: (existing?.version ?? 0) + 1,
      casRequired: opts.casRequired ?? false,
      modified: this.now(),
    })
    return undefined
  }

  /** Deletes a policy; returns an error message for the undeletable ones. Absent is not an error. */
  delete(name: string): string | undefined {
    const key = sanitizePolicyName(name)
    if (UNDELETABLE.includes(key)) return `cannot delete ${JSON.stringify(key)} policy`
    this.policies.delete(key)
    return undefined
  }

  /** Stored policy names, sorted (without `root`). */
  list(): string[] {
    return [...this.policies.keys()].sort()
  }

  /** The parsed policies behind `names` that exist (missing ones count as empty policies). */
  resolve(names: string[]): ParsedPolicy[] {
    const out: ParsedPolicy[] = []
    for (const name of names) {
      const p = this.get(name)
      if (p) out.push(p.parsed)
    }
    return out
  }
}
