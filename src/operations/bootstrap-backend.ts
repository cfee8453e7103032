/**
 * `secretctl bootstrap TYPE NAME`: the one-command setup of a backend whose kind has a wizard.
 * The kind sets the server up with an admin token used in memory only; then, like any change,
 * the new backend and the trust-root secret holding its first token go through plan and apply
 * (under the lock, audited), and only once they are in the state are their manifests written.
 * Should that fail, the wizard's token is discarded. The admin token is persisted nowhere.
 */
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {stringify} from 'yaml'
import {backendKinds, canonicalType, kindOf} from '../backends/registry.js'
import {DEFAULT_BACKEND} from '../backends/trust-root.js'
import {loadManifestTexts} from '../manifests/load-manifests.js'
import {schemaComment} from '../manifests/manifest-schemas.js'
import type {SecretManifest} from '../manifests/types.js'
import {makePlan} from '../plan/make-plan.js'
import {backendAddress, secretAddress} from '../plan/addresses.js'
import {applyContextOf, applyPlan} from '../apply/apply-plan.js'
import {describeError} from '../apply/describe-error.js'
import {withWorkspace, type WorkspaceOptions} from '../workspace/workspace.js'
import {withExistingState} from '../workspace/environment-state.js'
import {assertMayRecord} from '../apply/state-writes.js'
import {withStateLock} from '../workspace/with-state-lock.js'
import {BackendError, MissingStateError, UsageError} from '../errors.js'
import type {LockInfo} from '../state/state-lock.js'

export interface BootstrapRequest extends WorkspaceOptions {
  type: string
  name: string
  /** The kind's options (flag values). */
  options: Record<string, string | boolean | undefined>
  adminToken: string
  makeDefault: boolean
  lockTimeoutMs: number
  onTakeover?: (previous: LockInfo) => void
}

export interface BootstrapResult {
  files: string[]
  tokenSecret: string
  steps: string[]
}

/** The kinds that have a bootstrap wizard. */
export function bootstrapKinds(): string[] {
  return backendKinds()
    .filter((k) => k.bootstrap)
    .map((k) => k.type)
}

export async function bootstrapBackend(req: BootstrapRequest): Promise<BootstrapResult> {
  const type = canonicalType(req.type)
  const wizard = type ? kindOf(type).bootstrap : undefined
  if (!type || !wizard) throw new UsageError(`no bootstrap wizard for backend type ${req.type}`, `wizards: ${bootstrapKinds().join(', ')}`)
  if (!req.adminToken.trim()) {
    throw new UsageError(
      'the admin token is empty',
      `give it on the hidden prompt, with --admin-token-stdin, or in ${wizard.adminTokenVariable}`,
    )
  }
  const tokenSecret = `${req.name}-token`
  const files = {backend: `backend-${req.name}.yaml`, secret: `secret-${tokenSecret}.yaml`}
  for (const f of Object.values(files)) {
    if (existsSync(path.join(req.dir, f)))
      throw new UsageError(`${path.join(req.dir, f)} already exists`, 'remove it or bootstrap under another name')
  }

  await assertMayBootstrap(req, type, tokenSecret)
  const outcome = await wizard.setUp({name: req.name, options: req.options, adminToken: req.adminToken})
  const texts = manifestTexts(req, type, tokenSecret, outcome.backend)
  try {
    const desired = await loadManifestTexts(req.dir, [
      {file: files.backend, text: texts.backend},
      {file: files.secret, text: texts.secret},
    ])
    // The token secret is placement-only in its manifest (secretctl owns its value); this one apply gives it the first token.
    const secret = desired.secrets[0] as SecretManifest
    desired.secrets = [{...secret, placementOnly: false, data: {[outcome.token.key]: {kind: 'bootstrap'}}}]
    const values = new Map([[tokenSecret, new Map([[outcome.token.key, {source: 'external', value: outcome.token.value}]])]])
    await withWorkspace(
      req,
      async (ws) => {
        if (await ws.state.getBackend(req.name)) throw alreadyInState(req.name)
        const lock = {command: `bootstrap ${type} ${req.name}`, timeoutMs: req.lockTimeoutMs, env: req.env, onTakeover: req.onTakeover}
        await withStateLock(ws.state, lock, async () => {
          const plan = await makePlan(ws, {targets: [backendAddress(req.name), secretAddress(tokenSecret)]})
          const result = await applyPlan(plan, applyContextOf(ws, req.env))
          const failed = result.changes.find((c) => c.outcome !== 'applied')
          if (failed) throw new BackendError(req.name, `recording the new backend failed: ${failed.address}: ${failed.detail}`)
          await ws.state.setTokenMeta(req.name, outcome.tokenMeta)
        })
      },
      {desired, values},
    )
  } catch (err) {
    await outcome.discard()
    throw err instanceof UsageError || err instanceof BackendError
      ? err
      : new BackendError(req.name, `bootstrap failed: ${describeError(err)}`)
  }
  mkdirSync(req.dir, {recursive: true})
  writeFileSync(path.join(req.dir, files.backend), texts.backend, {flag: 'wx'})
  writeFileSync(path.join(req.dir, files.secret), texts.secret, {flag: 'wx'})
  const steps = [...outcome.steps, `stored the token on the trust root as secret ${tokenSecret}; wrote ${files.backend}, ${files.secret}`]
  return {files: [files.backend, files.secret], tokenSecret, steps}
}

/**
 * Before the wizard touches the server: the state must be able to record the backend, its token
 * secret and the token's metadata, and must not hold a backend of that name, or the mount, policy
 * and token the wizard makes would be left on the server unrecorded. A state that does not exist
 * yet is created by this run's owner, who may write it.
 */
async function assertMayBootstrap(req: BootstrapRequest, type: string, tokenSecret: string): Promise<void> {
  try {
    await withExistingState({...req, stateAccess: 'write'}, async (state) => {
      if (await state.getBackend(req.name)) throw alreadyInState(req.name)
      await assertMayRecord(
        state,
        ['backend-upsert', 'secret-put', 'token'],
        `the ${type} backend ${req.name} and its token secret ${tokenSecret}`,
      )
    })
  } catch (err) {
    if (err instanceof MissingStateError) return
    throw err
  }
}

function alreadyInState(name: string): UsageError {
  return new UsageError(
    `backend ${name} already exists in the state`,
    'bootstrap under another name, or rotate its token with `secretctl rotate backend`',
  )
}

function manifestTexts(
  req: BootstrapRequest,
  type: string,
  tokenSecret: string,
  backend: {description: string; config: Record<string, unknown>; rotation?: Record<string, unknown>},
): {backend: string; secret: string} {
  const backendDoc = {
    kind: 'SecretBackend',
    name: req.name,
    type,
    description: backend.description,
    ...(req.makeDefault ? {isDefault: true} : {}),
    config: backend.config,
    ...(backend.rotation ? {rotation: backend.rotation} : {}),
  }
  const secretDoc = {
    kind: 'Secret',
    name: tokenSecret,
    description: `token secretctl uses for backend ${req.name}; rotated by secretctl, so no value source`,
    backend: DEFAULT_BACKEND,
  }
  return {
    backend: `# Written by secretctl bootstrap ${type} ${req.name}.\n${schemaComment('SecretBackend', req.dir)}\n${stringify(backendDoc)}`,
    secret: `# The token lives on the trust root (${DEFAULT_BACKEND}), placement only: secretctl stores and rotates it.\n${schemaComment('Secret', req.dir)}\n${stringify(secretDoc)}`,
  }
}
