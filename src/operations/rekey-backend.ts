/**
 * `secretctl backend rekey NAME`: under the state lock, the backend's kind encrypts every value
 * anew under a key from a new password (kind.ts `BackendRekey`; only kinds that encrypt have one),
 * and the outcome goes to the audit table, so `history` shows it. Works on the backend as the state
 * records it (its applied config), without reading the manifests' value sources.
 */
import {randomUUID} from 'node:crypto'
import type {CredentialPrompt} from '../backends/driver.js'
import {backendKinds, kindOf} from '../backends/registry.js'
import {describeError} from '../apply/describe-error.js'
import {UsageError} from '../errors.js'
import {backendAddress} from '../plan/addresses.js'
import {resolveActor} from '../workspace/actor.js'
import type {LockInfo} from '../state/state-lock.js'
import {withStateLock} from '../workspace/with-state-lock.js'
import {withExistingState} from '../workspace/environment-state.js'

export interface RekeyBackendRequest {
  dir: string
  state?: string
  env: NodeJS.ProcessEnv
  prompt?: CredentialPrompt
  backend: string
  /** The new password, asked once the current one has opened the store. */
  newPassword(): Promise<string>
  lockTimeoutMs: number
  onTakeover?: (previous: LockInfo) => void
}

export interface RekeyBackendResult {
  backend: string
  type: string
  runId: string
  values: number
  detail: string
  notes: string[]
}

export function rekeyBackend(req: RekeyBackendRequest): Promise<RekeyBackendResult> {
  return withExistingState({...req, stateAccess: 'write'}, (state) =>
    withStateLock(
      state,
      {command: `backend rekey ${req.backend}`, timeoutMs: req.lockTimeoutMs, env: req.env, onTakeover: req.onTakeover},
      async () => {
        const backend = await state.getBackend(req.backend)
        if (!backend) {
          throw new UsageError(
            `no backend named ${req.backend} in the state`,
            'list them with `secretctl get backends` (a backend exists once apply created it)',
          )
        }
        const rekey = kindOf(backend.type, backend.name).rekey
        if (!rekey) {
          const able = backendKinds()
            .filter((k) => k.rekey)
            .map((k) => k.type)
          throw new UsageError(
            `backend ${backend.name} is a ${backend.type} backend: it has no encryption key to change`,
            `backend rekey works on ${able.join(', ')} backends`,
          )
        }
        const runId = randomUUID()
        const entry = {runId, actor: resolveActor(req.env), address: backendAddress(backend.name), action: 'rekey'}
        try {
          const outcome = await rekey.rekey({backend, state, env: req.env, dir: req.dir, prompt: req.prompt, newPassword: req.newPassword})
          await state.audit({...entry, outcome: 'applied', detail: outcome.detail})
          return {backend: backend.name, type: backend.type, runId, ...outcome}
        } catch (err) {
          await state.audit({...entry, outcome: 'failed', detail: describeError(err)}).catch(() => {})
          throw err
        }
      },
    ),
  )
}
