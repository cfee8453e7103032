/**
 * Checks across documents that no schema can express: unique names per kind, at most one
 * default backend, `default` stays the trust root's kind, every `backend:` and `tokenSecretRef`
 * resolves, backend tokens live on a trust-root backend, and a secret's `refs` suit its backend's
 * kind. Works on declarations, so a
 * document with a schema error still takes part by name and does not cause dangling references.
 */
import type {ManifestProblem} from '../errors.js'
import type {PlacedDocument} from './positions.js'
import {problemAt} from './problems.js'
import {DEFAULT_BACKEND, TRUST_ROOT_TYPE} from '../backends/trust-root.js'
import {backendKinds, kindOf} from '../backends/registry.js'

export interface BackendDeclaration {
  doc: PlacedDocument
  name: string
  /** Normalised type, undefined when the document's type is invalid. */
  type?: string
  isDefault: boolean
  /** Has `rotation:`: secretctl mints and stores its token. */
  rotates?: boolean
  tokenSecretRef?: {name?: string; key?: string}
}

export interface SecretDeclaration {
  doc: PlacedDocument
  name: string
  /** As written; undefined = the default backend. */
  backend?: string
  /** True when `backend` is present but unusable (a schema error already says so). */
  backendInvalid?: boolean
  /** The secret's key names; null when not known (schema error or unreadable envFile). */
  keys: string[] | null
  placementOnly: boolean
  /** `refs:` as written (a key without a ref is null). */
  refs?: Record<string, string | null>
}

export function checkSemantics(backends: BackendDeclaration[], secrets: SecretDeclaration[]): ManifestProblem[] {
  const problems: ManifestProblem[] = []
  const backendByName = firstByName(backends, 'SecretBackend', problems)
  const secretByName = firstByName(secrets, 'Secret', problems)

  const defaults = backends.filter((b) => b.isDefault)
  for (const extra of defaults.slice(1)) {
    problems.push(
      problemAt(
        extra.doc,
        ['isDefault'],
        `only one backend can be the default; ${defaults[0]!.name} already is (${where(defaults[0]!.doc)})`,
        {
          hint: 'set isDefault: true on one backend only',
        },
      ),
    )
  }
  const declaredDefault = backendByName.get(DEFAULT_BACKEND)
  if (declaredDefault?.type !== undefined && declaredDefault.type !== TRUST_ROOT_TYPE) {
    problems.push(
      problemAt(
        declaredDefault.doc,
        ['type'],
        `the backend "${DEFAULT_BACKEND}" is the ${TRUST_ROOT_TYPE} trust root; its type must be ${TRUST_ROOT_TYPE}`,
        {
          hint: 'give this backend another name',
        },
      ),
    )
  }

  const defaultName = defaults[0]?.name ?? DEFAULT_BACKEND
  const typeOf = (name: string): string | undefined =>
    backendByName.get(name)?.type ?? (name === DEFAULT_BACKEND && !backendByName.has(name) ? TRUST_ROOT_TYPE : undefined)
  const known = (name: string): boolean => name === DEFAULT_BACKEND || backendByName.has(name)
  const backendNames = [...new Set([DEFAULT_BACKEND, ...backendByName.keys()])].join(', ')

  for (const secret of secrets) {
    if (secret.backend !== undefined && !secret.backendInvalid && !known(secret.backend)) {
      problems.push(problemAt(secret.doc, ['backend'], `unknown backend "${secret.backend}"`, {hint: `declared backends: ${backendNames}`}))
    }
  }

  for (const secret of secrets) {
    const placement = secret.backend ?? defaultName
    const type = secret.backendInvalid ? undefined : typeOf(placement)
    if (type !== undefined) problems.push(...checkRefs(secret, placement, type))
  }

  for (const backend of backends) {
    const ref = backend.tokenSecretRef
    if (ref?.name === undefined) continue
    const secret = secretByName.get(ref.name)
    if (!secret) {
      problems.push(
        problemAt(backend.doc, ['config', 'tokenSecretRef', 'name'], `no Secret named "${ref.name}" is declared`, {
          hint: `declare the secret holding the token, on a ${TRUST_ROOT_TYPE} backend`,
        }),
      )
      continue
    }
    const placement = secret.backend ?? defaultName
    const placementType = secret.backendInvalid ? undefined : typeOf(placement)
    if (placementType !== undefined && placementType !== TRUST_ROOT_TYPE) {
      const how = secret.backend === undefined ? `the default backend, "${placement}"` : `backend "${placement}"`
      problems.push(
        problemAt(
          backend.doc,
          ['config', 'tokenSecretRef', 'name'],
          `secret "${secret.name}" lives on ${how} (${placementType}); a backend's token must live on a ${TRUST_ROOT_TYPE} backend`,
          {
            hint: `set backend: ${DEFAULT_BACKEND} on secret ${secret.name} (${where(secret.doc)})`,
          },
        ),
      )
    }
    if (backend.rotates && ref.key !== undefined && !secret.placementOnly && secret.keys?.includes(ref.key)) {
      problems.push(
        problemAt(
          secret.doc,
          ['data', ref.key],
          `backend "${backend.name}" rotates this token, so secretctl owns its value; a value source here would put the old token back`,
          {
            hint: `remove data.${ref.key} from secret ${secret.name} (the token secret is then placement only), or remove rotation from backend ${backend.name}`,
          },
        ),
      )
    }
    if (ref.key !== undefined && !secret.placementOnly && secret.keys !== null && !secret.keys.includes(ref.key)) {
      problems.push(
        problemAt(backend.doc, ['config', 'tokenSecretRef', 'key'], `secret "${secret.name}" has no key "${ref.key}"`, {
          hint: secret.keys.length ? `its keys: ${secret.keys.join(', ')}` : 'it declares no keys',
        }),
      )
    }
  }
  return problems
}

/** A secret's `refs` against its backend's kind: only where the kind reads values where they are, never with data sources. */
function checkRefs(secret: SecretDeclaration, backend: string, type: string): ManifestProblem[] {
  const support = kindOf(type).secretRefs
  if (!secret.refs) {
    if (!support?.required || !secret.placementOnly) return []
    return [
      problemAt(
        secret.doc,
        [],
        `secret "${secret.name}" is on ${type} backend "${backend}", which cannot list a secret's keys: name them under refs`,
        {
          on: 'key',
          hint: `refs: {KEY: } (${support.convention}), or refs: {KEY: ${support.syntax}}`,
        },
      ),
    ]
  }
  if (!support) {
    const readers = backendKinds()
      .filter((k) => k.secretRefs)
      .map((k) => k.type)
    return [
      problemAt(
        secret.doc,
        ['refs'],
        `backend "${backend}" is ${type}, which takes no refs: secretctl writes values there from data sources`,
        {
          on: 'key',
          hint: `refs name values on backends secretctl only reads (${readers.join(', ')}); use data for this backend`,
        },
      ),
    ]
  }
  if (!secret.placementOnly) {
    return [
      problemAt(secret.doc, ['refs'], 'refs and data sources cannot be combined: refs name values that already live on the backend', {
        on: 'key',
        hint: 'keep one of the two',
      }),
    ]
  }
  const problems: ManifestProblem[] = []
  for (const [key, ref] of Object.entries(secret.refs)) {
    const wrong = ref === null ? undefined : support.check(ref)
    if (wrong) problems.push(problemAt(secret.doc, ['refs', key], wrong, {hint: `a ${type} ref looks like ${support.syntax}`}))
  }
  return problems
}

/** The first declaration of each name; every later one is a duplicate problem. */
function firstByName<T extends {doc: PlacedDocument; name: string}>(decls: T[], kind: string, problems: ManifestProblem[]): Map<string, T> {
  const first = new Map<string, T>()
  for (const decl of decls) {
    const earlier = first.get(decl.name)
    if (earlier) problems.push(problemAt(decl.doc, ['name'], `duplicate ${kind} "${decl.name}"; first declared at ${where(earlier.doc)}`))
    else first.set(decl.name, decl)
  }
  return first
}

function where(doc: PlacedDocument): string {
  return `${doc.file}:${doc.at.line}`
}
