/**
 * The server's state behind the HTTP layer: seal and initialisation status, HA standby flag,
 * namespaces (each with mounts, policies and token roles), the token store, the root token and
 * unseal key, and the ACL built for a token in a namespace.
 */
import {Acl} from './acl.js'
import {TimestampSource, type TestClock} from './clock.js'
import type {ServerCore} from './context.js'
import {base62, uuid} from './ids.js'
import {NamespaceRegistry, type NamespaceState} from './namespaces.js'
import {TokenStore, type TokenEntry} from './token-store.js'
import {randomBytes} from 'node:crypto'

export interface CoreOptions {
  clock: TestClock
  rootToken?: string
  devMounts: boolean
  initialized: boolean
  sealed: boolean
  version: string
}

export class OpenBaoCore implements ServerCore {
  readonly clock: TestClock
  readonly stamps: TimestampSource
  readonly namespaces: NamespaceRegistry
  readonly tokens: TokenStore
  readonly version: string
  readonly clusterName = `vault-cluster-${randomBytes(4).toString('hex')}`
  readonly clusterId = uuid()
  sealed: boolean
  initialized: boolean
  standby = false
  rootToken: string
  /** The single unseal key (base64), as `sys/init` would hand out with one share. */
  unsealKey: string

  constructor(opts: CoreOptions) {
    this.clock = opts.clock
    this.stamps = new TimestampSource(opts.clock)
    this.version = opts.version
    const now = () => this.clock.now()
    this.namespaces = new NamespaceRegistry(this.stamps, now)
    this.tokens = new TokenStore(now, this.namespaces)
    this.initialized = opts.initialized
    this.sealed = opts.sealed || !opts.initialized
    this.unsealKey = randomBytes(32).toString('base64')
    this.rootToken = ''
    if (opts.initialized) this.rootToken = this.tokens.createRoot(opts.rootToken ?? `s.${base62(24)}`).id
    if (opts.devMounts)
      this.namespaces.root.mounts.enable('secret/', 'kv', {options: {version: '2'}, description: 'key/value secret storage'})
  }

  /** `sys/init`: initialises with one key share; the server stays sealed. */
  initialize(rootToken?: string): {keys: string[]; keysBase64: string[]; rootToken: string} {
    this.initialized = true
    this.sealed = true
    this.rootToken = this.tokens.createRoot(rootToken ?? `s.${base62(24)}`).id
    const key = Buffer.from(this.unsealKey, 'base64')
    return {keys: [key.toString('hex')], keysBase64: [this.unsealKey], rootToken: this.rootToken}
  }

  aclFor(token: TokenEntry, ns: NamespaceState): Acl {
    return new Acl(ns.policies.resolve(token.policies), {rootAllowed: ns.isRoot})
  }
}
