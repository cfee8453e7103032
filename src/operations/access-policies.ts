/**
 * `secretctl rbac print`: what a least-privilege role needs, as the Postgres GRANTs on the state
 * and, for each backend in the manifests whose kind has access policies, that backend's policy.
 */
import {kindOf} from '../backends/registry.js'
import type {AccessPolicy, AccessRole} from '../backends/kind.js'
import {loadManifests} from '../manifests/load-manifests.js'
import {postgresGrants} from '../rbac/postgres-grants.js'
import {UsageError} from '../errors.js'

export interface AccessRequest {
  dir: string
  role: AccessRole
  /** Only this backend. */
  backend?: string
  dbRole?: string
  schema: string
}

export interface AccessPolicies {
  sql: string
  backends: Array<{backend: string; policy: AccessPolicy}>
}

export async function accessPolicies(req: AccessRequest): Promise<AccessPolicies> {
  const desired = await loadManifests(req.dir)
  const withPolicy = desired.backends.filter((b) => kindOf(b.type).accessPolicy && (!req.backend || b.name === req.backend))
  if (req.backend && !withPolicy.length) {
    throw new UsageError(
      `no backend named ${req.backend} with access policies in the manifests`,
      'list the backends with `secretctl get backends`',
    )
  }
  return {
    sql: postgresGrants(req.role, {dbRole: req.dbRole ?? `secretctl_${req.role}`, schema: req.schema}),
    backends: withPolicy.map((b) => ({
      backend: b.name,
      policy: kindOf(b.type).accessPolicy?.(req.role, b) ?? {note: `backend ${b.name}: no policy`},
    })),
  }
}
