/**
 * An openbao backend's config as the manifest loader validated and defaulted it, its defaults,
 * and the KV v2 API paths of a secret under it: each segment URL-encoded, an empty pathPrefix
 * leaving no `//`.
 */

/** The KV v2 mount and the folder under it that secretctl uses when the manifest says nothing. */
export const OPENBAO_DEFAULTS = {mount: 'secret', pathPrefix: 'secretctl'} as const

/** The config as written, with the defaults filled in. */
export function withOpenBaoDefaults(config: Record<string, unknown>): Record<string, unknown> {
  return {...OPENBAO_DEFAULTS, ...config}
}
export interface OpenBaoConfig {
  url: string
  tokenSecretRef: {name: string; key: string}
  /** KV v2 mount (default `secret`). */
  mount: string
  /** Folder under the mount that secretctl owns (default `secretctl`; may be empty). */
  pathPrefix: string
  /** Sent as `X-Vault-Namespace` when set. */
  namespace?: string
}

export function openBaoConfig(config: Record<string, unknown>): OpenBaoConfig {
  return {
    url: String(config.url),
    tokenSecretRef: config.tokenSecretRef as {name: string; key: string},
    mount: String(config.mount ?? OPENBAO_DEFAULTS.mount),
    pathPrefix: String(config.pathPrefix ?? OPENBAO_DEFAULTS.pathPrefix),
    namespace:
      config.namespace === undefined || config.namespace === null || config.namespace === '' ? undefined : String(config.namespace),
  }
}

/** Joins path parts, dropping empty segments (no `//`) and URL-encoding each one. */
function segments(...parts: string[]): string {
  return parts
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .map(encodeURIComponent)
    .join('/')
}

/**
 * kvPaths for one config, its mount and pathPrefix encoded once instead of at every request (a
 * migration asks for two paths per secret): the same paths.
 */
export function kvPathsOf(c: OpenBaoConfig): {ref(name: string): string; data(name: string): string; metadata(name: string): string} {
  const ref = kvPaths.ref(c, '')
  const data = segments(c.mount, 'data', c.pathPrefix)
  const metadata = segments(c.mount, 'metadata', c.pathPrefix)
  const join = (base: string, tail: string) => (base && tail ? `${base}/${tail}` : base || tail)
  // A name is one segment unless it holds a `/`.
  const plain = (name: string) => (name.includes('/') ? name.split('/').filter(Boolean).join('/') : name)
  const encoded = (name: string) => (name.includes('/') ? segments(name) : encodeURIComponent(name))
  return {
    ref: (name) => join(ref, plain(name)),
    data: (name) => join(data, encoded(name)),
    metadata: (name) => join(metadata, encoded(name)),
  }
}

export const kvPaths = {
  /** `mount/pathPrefix/name`: the external reference the state records. */
  ref: (c: OpenBaoConfig, name: string) =>
    [c.mount, c.pathPrefix, name]
      .flatMap((p) => p.split('/'))
      .filter(Boolean)
      .join('/'),
  /** `mount/data/pathPrefix/name`: the values (read, write). */
  data: (c: OpenBaoConfig, name: string) => segments(c.mount, 'data', c.pathPrefix, name),
  /** `mount/metadata/pathPrefix/name`: versions (read), every version (delete). */
  metadata: (c: OpenBaoConfig, name: string) => segments(c.mount, 'metadata', c.pathPrefix, name),
  /** `mount/metadata/pathPrefix`: the folder listed. */
  list: (c: OpenBaoConfig) => segments(c.mount, 'metadata', c.pathPrefix),
}
