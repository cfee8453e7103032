/**
 * `secretctl render`: the objects apply writes for the secrets on backends whose kind renders
 * them (Kubernetes Secrets, with their values, for `kubectl apply -f -` or a GitOps tool), the pod
 * spec fragments that consume them (`--consumer-snippet`), or External Secrets Operator resources
 * that make a cluster pull secrets from where another kind keeps them (`--external-secrets`).
 * Values leave the process only here: never to a terminal without `--reveal`, and to `--out FILE`
 * with mode 0600. Generic: each kind answers through its `render` hooks.
 */
import {closeSync, fchmodSync, openSync, writeSync} from 'node:fs'
import path from 'node:path'
import {backendKinds, kindOf} from '../backends/registry.js'
import type {RenderHooks} from '../backends/kind.js'
import {UsageError} from '../errors.js'
import {loadManifests} from '../manifests/load-manifests.js'
import type {BackendManifest, DesiredModel, SecretManifest} from '../manifests/types.js'
import {placementOf} from '../plan/compute-plan.js'
import {matchesTarget, secretAddress} from '../plan/addresses.js'
import {resolveValues, type ResolvedValue} from '../sources/resolve-values.js'
import type {SecretValues} from '../state/types.js'
import {valueFingerprints} from '../state/keys-digest.js'
import {withWorkspace, type Workspace, type WorkspaceOptions} from '../workspace/workspace.js'
import {environmentChoice, withExistingState} from '../workspace/environment-state.js'
import {renderDocuments, type RenderedDocument} from '../render/render-documents.js'

export type RenderMode = 'manifests' | 'consumer-snippet' | 'external-secrets'

export interface RenderManifestsRequest extends WorkspaceOptions {
  mode: RenderMode
  /** Only secrets on this backend. */
  backend?: string
  /** Only these addresses (`secret.NAME`). */
  targets: string[]
  format: 'yaml' | 'json'
  /** `stringData` (values in clear) instead of base64 `data`. */
  stringData: boolean
  /** Write here (mode 0600) instead of returning the text for stdout. */
  out?: string
  /** Values may go to a terminal. */
  reveal: boolean
  /** Whether stdout is a terminal (values are refused there without `reveal`). */
  stdoutIsTerminal: boolean
  /** `external-secrets.io/v1` (default) or `external-secrets.io/v1beta1`. */
  externalSecretsApi?: string
}

export interface RenderOutcome {
  /** What to print on stdout (empty when written to `out`). */
  stdout: string
  /** A line for stderr: what was written where. */
  note?: string
}

type Hook = keyof RenderHooks

interface Selected {
  secret: SecretManifest
  backend: BackendManifest
}

export async function renderManifests(req: RenderManifestsRequest): Promise<RenderOutcome> {
  const valued = req.mode === 'manifests'
  if (valued && !req.out && req.stdoutIsTerminal && !req.reveal) {
    throw new UsageError(
      'render prints secret values, and stdout is a terminal',
      'pipe it (secretctl render | kubectl apply -f -), write it with --out FILE (mode 0600), or pass --reveal to show it here',
    )
  }
  if (req.out && insideDir(req.out, req.dir)) {
    throw new UsageError(
      `--out ${req.out} is inside the manifests directory, where the next run would read it as a manifest`,
      'write it outside the manifests directory',
    )
  }
  const desired = await loadManifests(req.dir, environmentChoice(req))
  const documents =
    req.mode === 'manifests'
      ? await secretManifests(req, desired)
      : req.mode === 'consumer-snippet'
        ? await consumerSnippets(req, desired)
        : await externalSecrets(req, desired)
  const text = renderDocuments(documents, req.format)
  if (!req.out) return {stdout: text}
  writePrivateFile(req.out, text)
  return {stdout: '', note: `wrote ${documents.length} document${documents.length === 1 ? '' : 's'} to ${req.out} (mode 0600)`}
}

/** The secrets the flags select, on backends whose kind has `hook`; a selection that matches none is a UsageError. */
function select(req: RenderManifestsRequest, desired: DesiredModel, hook: Hook): Selected[] {
  const able = backendKinds()
    .filter((k) => k.render?.[hook])
    .map((k) => k.type)
  const backends = new Map(desired.backends.map((b) => [b.name, b]))
  if (req.backend) {
    const b = backends.get(req.backend)
    if (!b)
      throw new UsageError(
        `no backend named ${req.backend} in the manifests`,
        `declared: ${[...backends.keys()].sort().join(', ') || 'none'}`,
      )
    if (!kindOf(b.type).render?.[hook])
      throw new UsageError(`backend ${req.backend} is ${b.type}; this rendering is for ${able.join(', ')} backends`)
  }
  const out: Selected[] = []
  for (const secret of [...desired.secrets].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const backend = backends.get(placementOf(secret, desired))
    if (!backend || !kindOf(backend.type).render?.[hook]) continue
    if (req.backend && backend.name !== req.backend) continue
    if (req.targets.length && !req.targets.some((t) => matchesTarget(secretAddress(secret.name), t))) continue
    out.push({secret, backend})
  }
  if (!out.length) {
    throw new UsageError(
      `no secret in the manifests is on a ${able.join(' or ')} backend${req.backend ? ` named ${req.backend}` : ''}${req.targets.length ? ` and matches ${req.targets.join(', ')}` : ''}`,
      'render prints the secrets placed (backend:) on such backends',
    )
  }
  return out
}

/** The objects apply writes, with their values: sourced values as resolved, generated and placement-only ones as stored now. */
async function secretManifests(req: RenderManifestsRequest, desired: DesiredModel): Promise<RenderedDocument[]> {
  const selected = select(req, desired, 'manifestFor')
  const values = await resolveValues(desired, {env: req.env, secrets: selected.map((s) => s.secret.name)})
  // Reads the state as it is (stored values of generated and placement-only keys); never creates one.
  return withWorkspace(
    {...req, stateAccess: 'read-or-empty'},
    async (ws) => {
      const documents: RenderedDocument[] = []
      for (const {secret, backend} of selected) {
        const resolved = values.get(secret.name)
        const current = await storedValues(ws, secret, resolved)
        const secretValues: SecretValues = {}
        for (const key of resolved ? [...resolved.keys()] : Object.keys(current ?? {})) {
          const rv = resolved?.get(key) as ResolvedValue | undefined
          const value = rv?.value ?? current?.[key]
          if (value === undefined) throw notYetApplied(secret, [key])
          secretValues[key] = value
        }
        // Fingerprints need the state's salt: before the first apply there is none, and no fingerprint is printed.
        const fingerprints = ws.state.exists ? await valueFingerprints(ws.state, secretValues) : undefined
        const object = kindOf(backend.type).render?.manifestFor?.({
          backend,
          secret,
          keys: Object.keys(secretValues).sort(),
          env: req.env,
          values: secretValues,
          fingerprints,
          plainValues: req.stringData,
        })
        if (object) documents.push({object})
      }
      return documents
    },
    {desired, values},
  )
}

/** What the store holds now, when the manifests do not give every value (generated keys, placement-only secrets). */
async function storedValues(
  ws: Workspace,
  secret: SecretManifest,
  resolved: ReadonlyMap<string, ResolvedValue> | undefined,
): Promise<SecretValues | undefined> {
  const missing = resolved ? [...resolved].filter(([, rv]) => rv.value === undefined).map(([k]) => k) : ['(all: placement only)']
  if (!missing.length) return undefined
  const row = await ws.state.getSecret(secret.name)
  if (!row) throw notYetApplied(secret, missing)
  const current = await (await ws.drivers.get(row.backend)).read(secret.name)
  if (!current) throw notYetApplied(secret, missing)
  return current
}

function notYetApplied(secret: SecretManifest, keys: string[]): UsageError {
  return new UsageError(
    `secret ${secret.name}: ${keys.join(', ')} ha${keys.length === 1 ? 's' : 've'} no value until apply makes ${keys.length === 1 ? 'it' : 'them'} (generated, or placement only)`,
    'apply first: render prints what apply writes, and those values exist only in the store',
  )
}

/** The envFrom/secretKeyRef fragments of a pod spec: names and keys only. */
async function consumerSnippets(req: RenderManifestsRequest, desired: DesiredModel): Promise<RenderedDocument[]> {
  const selected = select(req, desired, 'consumerSnippet')
  const keys = await keyNames(req, selected)
  return selected.map(({secret, backend}) => {
    const r = kindOf(backend.type).render?.consumerSnippet?.({backend, secret, keys: keys.get(secret.name) ?? [], env: req.env})
    return {object: r?.snippet ?? {}, comment: r?.comment}
  })
}

/** External Secrets Operator resources, per backend whose kind has them. */
async function externalSecrets(req: RenderManifestsRequest, desired: DesiredModel): Promise<RenderedDocument[]> {
  const apiVersion = req.externalSecretsApi ?? 'external-secrets.io/v1'
  const selected = select(req, desired, 'externalSecretsFor')
  const keys = await keyNames(req, selected)
  const documents: RenderedDocument[] = []
  for (const backend of [...new Set(selected.map((s) => s.backend))]) {
    const secrets = selected.filter((s) => s.backend === backend).map(({secret}) => ({secret, keys: keys.get(secret.name) ?? []}))
    const r = kindOf(backend.type).render?.externalSecretsFor?.({backend, secrets, apiVersion})
    for (const [i, object] of (r?.objects ?? []).entries()) documents.push({object, ...(i === 0 && r ? {comment: r.comment} : {})})
  }
  return documents
}

/** Key names per secret: from the manifests, or for a placement-only secret from the state (which records names, never values). */
async function keyNames(req: RenderManifestsRequest, selected: Selected[]): Promise<Map<string, string[]>> {
  const out = new Map(selected.map(({secret}) => [secret.name, Object.keys(secret.data).sort()]))
  const placementOnly = selected.filter(({secret}) => secret.placementOnly).map(({secret}) => secret.name)
  if (placementOnly.length) {
    await withExistingState({...req, stateAccess: 'read'}, async (state) => {
      for (const name of placementOnly) out.set(name, Object.keys((await state.getSecret(name))?.keys ?? {}).sort())
    })
  }
  return out
}

/** Writes `text` to a file readable by its owner only, even when the file existed with wider permissions. */
function writePrivateFile(file: string, text: string): void {
  const fd = openSync(file, 'w', 0o600)
  try {
    fchmodSync(fd, 0o600)
    writeSync(fd, text)
  } finally {
    closeSync(fd)
  }
}

function insideDir(file: string, dir: string): boolean {
  const rel = path.relative(path.resolve(dir), path.resolve(file))
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)
}
