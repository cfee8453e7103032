/**
 * Rotates an OpenBao backend's token, in this order: mint a successor through the token role using
 * the current token → verify it (lookup-self: periodic and renewable; a write/read/delete probe
 * under the prefix) → persist it in the trust-root secret together with its metadata (one
 * transaction) → revoke the predecessor by accessor → record. A failed mint or verify keeps the old
 * token working, records the error and fails the change; a failed revoke is only a warning.
 * Tokens never appear in an error: messages carry paths, statuses and OpenBao's error text.
 */
import {randomBytes} from 'node:crypto'
import type {BackendRecord, StateStore, TokenMeta} from '../../state/types.js'
import {BackendError} from '../../errors.js'
import type {TokenRotation} from '../kind.js'
import {OPENBAO_DEFAULTS} from './openbao-config.js'
import {errorsOf, type BaoResponse} from './openbao-errors.js'
import type {OpenBaoClient} from './openbao-http-client.js'
import {OpenBaoDriver} from './openbao-driver.js'
import {scanMarks} from '../../scan/scan-marks.js'

/** The one call rotation needs: an OpenBao API request with an explicit token. */
export interface TokenApi {
  call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, token: string, body?: unknown): Promise<BaoResponse>
}

/** The token calls (auth/token/*) over a driver's HTTP client: reads retried, writes sent once. */
export function tokenApi(client: OpenBaoClient): TokenApi {
  return {call: (method, path, token, body) => client.request(method, path, {token, body, idempotent: method === 'GET'})}
}

/** OpenBao's TokenRotation: through the driver's client and the token it uses now. */
export const openBaoTokenRotation: TokenRotation = {
  async rotate({driver, backend, state, now}) {
    if (!(driver instanceof OpenBaoDriver)) throw new BackendError(backend.name, 'token rotation needs the OpenBao driver')
    const {api, currentToken} = await driver.tokenAccess()
    return rotateBackendToken({state, backend, api, currentToken, now})
  },
}

export interface RotationContext {
  state: StateStore
  backend: BackendRecord
  api: TokenApi
  currentToken: string
  now?: () => Date
}

interface TokenLookup {
  period?: number | string
  role?: string
  renewable?: boolean
  expire_time?: string | null
}

/**
 * lookup-self reports `period` for a token created with an explicit period; a token whose period
 * comes from its role reports the role instead, so the role is read to know.
 */
async function isPeriodic(api: TokenApi, token: string, info: TokenLookup, roleName: string): Promise<boolean> {
  if (info.period && Number(info.period) > 0) return true
  if (info.role !== roleName) return false
  const role = await api.call('GET', `auth/token/roles/${encodeURIComponent(roleName)}`, token)
  if (role.status !== 200) return false
  return Number(role.body?.data?.token_period ?? 0) > 0 || Number(role.body?.data?.period ?? 0) > 0
}

export interface RotationOutcome {
  accessor: string
  warnings: string[]
}

export async function rotateBackendToken(ctx: RotationContext): Promise<RotationOutcome> {
  const {state, backend, api} = ctx
  const now = ctx.now ?? (() => new Date())
  const config = backend.config as {tokenSecretRef: {name: string; key: string}; mount?: string; pathPrefix?: string}
  const rotation = (backend.rotation ?? {}) as {tokenRole?: string}
  const previous: TokenMeta = backend.tokenMeta ?? {}
  const fail = async (message: string, hint?: string): Promise<never> => {
    await state.setTokenMeta(backend.name, {...previous, lastRotationError: message, lastRotationErrorAt: now().toISOString()})
    throw new BackendError(backend.name, `token rotation failed: ${message}`, {
      hint: hint ?? 'the current token keeps working; fix the cause and run `secretctl rotate backend ' + backend.name + '`',
    })
  }
  if (!rotation.tokenRole) return fail('no rotation.tokenRole in the backend manifest')

  // The predecessor's accessor, to revoke it once the successor is stored.
  let oldAccessor = previous.accessor
  if (!oldAccessor) {
    const self = await api.call('GET', 'auth/token/lookup-self', ctx.currentToken)
    if (self.status !== 200) return fail(`lookup-self with the current token answered ${self.status}: ${errorsOf(self.body)}`)
    oldAccessor = self.body.data.accessor as string
  }

  // 1. Mint.
  const minted = await api.call('POST', `auth/token/create/${encodeURIComponent(rotation.tokenRole)}`, ctx.currentToken, {})
  if (minted.status !== 200 || !minted.body?.auth?.client_token) {
    return fail(
      `minting through role ${rotation.tokenRole} answered ${minted.status}: ${errorsOf(minted.body)}`,
      `check that the current token may create tokens with auth/token/create/${rotation.tokenRole}`,
    )
  }
  const successor = minted.body.auth.client_token as string
  const accessor = minted.body.auth.accessor as string
  const discard = async (why: string): Promise<never> => {
    await api.call('POST', 'auth/token/revoke-self', successor).catch(() => undefined)
    return fail(why)
  }

  // 2. Verify: periodic, renewable, and able to write, read and delete under the prefix.
  const looked = await api.call('GET', 'auth/token/lookup-self', successor)
  if (looked.status !== 200) return discard(`lookup-self with the new token answered ${looked.status}: ${errorsOf(looked.body)}`)
  const info = looked.body.data as TokenLookup
  if (!info.renewable) return discard(`the token role ${rotation.tokenRole} minted a non-renewable token; it must be renewable`)
  if (!(await isPeriodic(api, successor, info, rotation.tokenRole)))
    return discard(`the token role ${rotation.tokenRole} minted a non-periodic token; set token_period on the role`)
  const probe = await probeToken(api, successor, config.mount ?? OPENBAO_DEFAULTS.mount, config.pathPrefix ?? OPENBAO_DEFAULTS.pathPrefix)
  if (probe) return discard(probe)

  // 3. Persist, with the metadata, in one transaction.
  const at = now().toISOString()
  const meta: TokenMeta = {
    accessor,
    createdAt: at,
    lastRotatedAt: at,
    expiresAt: info.expire_time ?? null,
    lastRotationError: null,
    lastRotationErrorAt: null,
    lastRevokeWarning: null,
  }
  await state.persistRotatedToken({
    backend: backend.name,
    secret: config.tokenSecretRef.name,
    key: config.tokenSecretRef.key,
    value: successor,
    fingerprint: await state.fingerprint(config.tokenSecretRef.key, successor),
    scan: await scanMarks(state, config.tokenSecretRef.key, successor),
    tokenMeta: meta,
  })

  // 4. Revoke the predecessor; failing that is a warning, the new token stays.
  const warnings: string[] = []
  const revoked = await api
    .call('POST', 'auth/token/revoke-accessor', successor, {accessor: oldAccessor})
    .catch((err: Error) => ({status: 0, body: {errors: [err.message]}}))
  if (revoked.status !== 204 && revoked.status !== 200) {
    const warning = `the previous token (accessor ${oldAccessor}) could not be revoked: ${revoked.status} ${errorsOf(revoked.body)}; it expires on its own`
    warnings.push(warning)
    await state.setTokenMeta(backend.name, {...meta, lastRevokeWarning: warning})
  }
  return {accessor, warnings}
}

/**
 * Proves a token can do secretctl's work: write, read back and delete a probe secret under the
 * prefix. Returns undefined when it can, else what failed (paths and statuses, no values).
 */
export async function probeToken(api: TokenApi, token: string, mount: string, prefix: string): Promise<string | undefined> {
  const probePath = [prefix, `.secretctl-probe-${randomBytes(4).toString('hex')}`].filter(Boolean).join('/')
  const marker = randomBytes(16).toString('hex')
  const wrote = await api.call('POST', `${mount}/data/${probePath}`, token, {data: {probe: marker}})
  if (wrote.status !== 200) return `the token cannot write ${mount}/data/${probePath}: ${wrote.status} ${errorsOf(wrote.body)}`
  const read = await api.call('GET', `${mount}/data/${probePath}`, token)
  const readOk = read.status === 200 && read.body?.data?.data?.probe === marker
  const removed = await api.call('DELETE', `${mount}/metadata/${probePath}`, token)
  if (!readOk) return `the token cannot read back ${mount}/data/${probePath}: ${read.status}`
  if (removed.status !== 204 && removed.status !== 200)
    return `the token cannot delete ${mount}/metadata/${probePath}: ${removed.status} ${errorsOf(removed.body)}`
  return undefined
}
