/**
 * Connect access tokens: each is scoped to vaults, read or read-and-write per vault, as a token
 * made with `op connect token create --vault NAME,r|rw` is. Tokens look like Connect's — a JWT
 * (`eyJ…`) with the claims real ones carry (`1password.com/vts`: `[{"u": vault, "a": bits}]`,
 * where read is 48 and read-write 496, as in tokens published in a client's tests; `aud`
 * `com.1password.connect`, `iss` `com.1password.b5`, `jti`) — but are signed with a key of this
 * server (HMAC, not 1Password's ES256) and looked up here, so revoking one works at once. A test
 * may also register a fixed string (the standalone server's `--token`), valid for every vault.
 *
 * 401s: no or malformed token, or a revoked one, "Invalid bearer token"; a JWT this server did
 * not sign, "Invalid token signature".
 */
import {createHmac, randomBytes, timingSafeEqual} from 'node:crypto'
import {opId} from './ids.js'
import {errors} from './responses.js'

export type VaultAccess = 'read' | 'write'

/** Access bits in a Connect token's `1password.com/vts` claim. */
const ACCESS_BITS: Record<VaultAccess, number> = {read: 48, write: 496}

export interface TokenEntry {
  /** The JWT id (`jti`): what the request log and the activity API show instead of the token. */
  readonly id: string
  readonly name: string
  /** `*` = every vault, now and later, read and write (a test convenience; real tokens list their vaults). */
  readonly vaults: '*' | ReadonlyMap<string, VaultAccess>
  readonly createdAt: number
  revoked: boolean
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url')
}

export class TokenStore {
  private readonly byToken = new Map<string, TokenEntry>()
  private readonly byId = new Map<string, {entry: TokenEntry; token: string}>()
  private readonly key = randomBytes(32)
  private readonly kid = opId()
  /** The 1Password account the tokens belong to (`1password.com/auuid`). */
  readonly accountId = opId().toUpperCase()
  /** The Connect server's service account the tokens are issued to (`sub`). */
  readonly subject = opId().toUpperCase()

  constructor(private readonly now: () => number) {}

  /** Issues a token; `fixed` registers that exact string instead of minting a JWT. */
  issue(opts: {name?: string; vaults: '*' | Map<string, VaultAccess>; fixed?: string}): {token: string; entry: TokenEntry} {
    const id = opId()
    const createdAt = this.now()
    const entry: TokenEntry = {id, name: opts.name ?? `token-${id.slice(0, 6)}`, vaults: opts.vaults, createdAt, revoked: false}
    let token = opts.fixed
    if (token === undefined) {
      const header = b64url(JSON.stringify({alg: 'ES256', kid: this.kid, typ: 'JWT'}))
      const claims = {
        '1password.com/auuid': this.accountId,
        '1password.com/token': randomBytes(24).toString('base64url'),
        '1password.com/fts': ['vaultaccess'],
        '1password.com/vts': opts.vaults === '*' ? [] : [...opts.vaults].map(([u, access]) => ({a: ACCESS_BITS[access], u})),
        aud: ['com.1password.connect'],
        iat: Math.floor(createdAt / 1000),
        iss: 'com.1password.b5',
        jti: id,
        sub: this.subject,
      }
      const payload = b64url(JSON.stringify(claims))
      token = `${header}.${payload}.${this.sign(`${header}.${payload}`)}`
    }
    if (!token || /\s/.test(token)) throw new Error('a token must be a non-empty string without whitespace')
    if (this.byToken.has(token)) throw new Error('that token is already registered')
    this.byToken.set(token, entry)
    this.byId.set(id, {entry, token})
    return {token, entry}
  }

  private sign(input: string): string {
    // 64 bytes, as long as an ES256 signature.
    return createHmac('sha512', this.key).update(input).digest('base64url')
  }

  /** The token entry for an `Authorization` header value, or a 401. */
  authenticate(authorization: string | undefined): TokenEntry {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
    if (!match) throw errors.invalidBearer()
    const token = match[1]!
    const entry = this.byToken.get(token)
    if (entry) {
      if (entry.revoked) throw errors.invalidBearer()
      return entry
    }
    const parts = token.split('.')
    if (parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) throw errors.invalidBearer()
    try {
      JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'))
      JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'))
    } catch {
      throw errors.invalidBearer()
    }
    const expected = Buffer.from(this.sign(`${parts[0]}.${parts[1]}`))
    const given = Buffer.from(parts[2]!)
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw errors.invalidSignature()
    // Signed here but not registered: cannot happen unless the store forgot it.
    throw errors.invalidBearer()
  }

  /** The token id (jti) for a presented header, whether or not the token is valid; null when unknown. */
  idOf(authorization: string | undefined): string | null {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
    return match ? (this.byToken.get(match[1]!)?.id ?? null) : null
  }

  /** Revokes by token string or token id; returns whether one was found. */
  revoke(tokenOrId: string): boolean {
    const entry = this.byToken.get(tokenOrId) ?? this.byId.get(tokenOrId)?.entry
    if (!entry) return false
    entry.revoked = true
    return true
  }

  access(entry: TokenEntry, vaultId: string): VaultAccess | undefined {
    return entry.vaults === '*' ? 'write' : entry.vaults.get(vaultId)
  }

  list(): TokenEntry[] {
    return [...this.byId.values()].map((v) => v.entry)
  }
}
