/**
 * The OpenBao ACL policies secretctl needs, in HCL: what the applier needs for KV work under its
 * prefix plus exactly what self-rotation needs, and the read-only planner policy. One place, used
 * by the bootstrap wizard, `rbac print` and the docs.
 */
import type {BackendManifest} from '../../manifests/types.js'
import type {AccessPolicy, AccessRole} from '../kind.js'
import {OPENBAO_DEFAULTS} from './openbao-config.js'
export interface PolicyScope {
  mount: string
  pathPrefix: string
  tokenRole?: string
}

function kvPaths(s: PolicyScope): {data: string; metadata: string; list: string} {
  const under = s.pathPrefix ? `${s.pathPrefix}/*` : '*'
  return {data: `${s.mount}/data/${under}`, metadata: `${s.mount}/metadata/${under}`, list: `${s.mount}/metadata/${s.pathPrefix}`}
}

/** Apply: KV data create/read/update and metadata read/list/delete under the prefix, list on the prefix. */
export function applierPolicy(s: PolicyScope): string {
  const p = kvPaths(s)
  return (
    [
      `# secretctl applier: KV v2 under ${s.mount}/${s.pathPrefix}`,
      `path "${p.data}" {\n  capabilities = ["create", "read", "update"]\n}`,
      `path "${p.metadata}" {\n  capabilities = ["read", "list", "delete"]\n}`,
      `path "${p.list}" {\n  capabilities = ["list"]\n}`,
    ].join('\n') + '\n'
  )
}

/** Rotation: mint through the role, read the role (to confirm its tokens are periodic), look itself up, revoke the predecessor by accessor. */
export function rotatorPolicy(s: PolicyScope): string {
  if (!s.tokenRole) throw new Error('a token role is needed for the rotator policy')
  return (
    [
      `# secretctl rotator: mint successors through role ${s.tokenRole} and retire predecessors`,
      `path "auth/token/create/${s.tokenRole}" {\n  capabilities = ["create", "update"]\n}`,
      `path "auth/token/roles/${s.tokenRole}" {\n  capabilities = ["read"]\n}`,
      `path "auth/token/lookup-self" {\n  capabilities = ["read"]\n}`,
      `path "auth/token/renew-self" {\n  capabilities = ["update"]\n}`,
      `path "auth/token/revoke-accessor" {\n  capabilities = ["update"]\n}`,
    ].join('\n') + '\n'
  )
}

/** Plan: metadata read and list only, never data. */
export function plannerPolicy(s: PolicyScope): string {
  const p = kvPaths(s)
  return (
    [
      `# secretctl planner: metadata only, no secret value`,
      `path "${p.metadata}" {\n  capabilities = ["read", "list"]\n}`,
      `path "${p.list}" {\n  capabilities = ["list"]\n}`,
    ].join('\n') + '\n'
  )
}

/** The policy the bootstrap wizard writes: KV work plus self-rotation, so one token does both. */
export function backendPolicy(s: PolicyScope): string {
  return applierPolicy(s) + (s.tokenRole ? rotatorPolicy(s) : '')
}

/** The policy a role needs on one openbao backend, for `rbac print`. */
export function openBaoAccessPolicy(role: AccessRole, b: BackendManifest): AccessPolicy {
  const scope: PolicyScope = {
    mount: String(b.config.mount ?? OPENBAO_DEFAULTS.mount),
    pathPrefix: String(b.config.pathPrefix ?? OPENBAO_DEFAULTS.pathPrefix),
    tokenRole: b.rotation?.tokenRole as string | undefined,
  }
  if (role === 'rotator' && !scope.tokenRole) return {note: `backend ${b.name}: no rotation settings, nothing to rotate`}
  const text = role === 'planner' ? plannerPolicy(scope) : role === 'applier' ? applierPolicy(scope) : rotatorPolicy(scope)
  return {title: `OpenBao policy for backend ${b.name} (write it with: bao policy write secretctl-${role}-${b.name} FILE)`, text}
}
