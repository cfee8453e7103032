/**
 * The one place that maps a backend `type` to its kind. Every kind lives in
 * `src/backends/<type>/` and is registered here by a single line. A kind's module is small (what
 * manifests, plan and help need); its driver is imported when a backend of the kind is used.
 */
import type {BackendDriver, DriverContext} from './driver.js'
import type {BackendKind} from './kind.js'
import {BackendError} from '../errors.js'
import {plaintextKind} from './plaintext/plaintext-kind.js'
import {openBaoKind} from './openbao/openbao-kind.js'
import {onePasswordKind} from './onepassword/onepassword-kind.js'
import {environmentKind} from './environment/environment-kind.js'
import {kubernetesKind} from './kubernetes/kubernetes-kind.js'
import {encryptedKind} from './encrypted/encrypted-kind.js'

const KINDS: readonly BackendKind[] = [plaintextKind, openBaoKind, kubernetesKind, encryptedKind, onePasswordKind, environmentKind]

const BY_TYPE = new Map(KINDS.map((k) => [k.type, k]))
const BY_SPELLING = new Map(KINDS.flatMap((k) => [k.type, ...k.aliases].map((spelling) => [spelling, k])))

/** Every registered kind, in registration order. */
export function backendKinds(): readonly BackendKind[] {
  return KINDS
}

/** The kind of a backend type as the state records it; an unknown type is a BackendError naming the known ones. */
export function kindOf(type: string, backend = type): BackendKind {
  const kind = BY_TYPE.get(type)
  if (!kind) throw new BackendError(backend, `unknown backend type ${type}`, {hint: `known types: ${driverTypes().join(', ')}`})
  return kind
}

/** The canonical type a manifest's `type:` names (aliases folded), or undefined. */
export function canonicalType(spelling: unknown): string | undefined {
  return typeof spelling === 'string' ? BY_SPELLING.get(spelling)?.type : undefined
}

/** Every `type:` a manifest may write, aliases included. */
export function typeSpellings(): string[] {
  return [...BY_SPELLING.keys()]
}

/** The driver for one backend record (its kind's code loaded on first use); an unknown type is a BackendError, thrown at once. */
export function createDriver(ctx: DriverContext): Promise<BackendDriver> {
  const kind = kindOf(ctx.backend.type, ctx.backend.name)
  return kind.load().then((code) => code.createDriver(ctx))
}

/** The backend types this build has a kind for, sorted. */
export function driverTypes(): string[] {
  return [...BY_TYPE.keys()].sort()
}
