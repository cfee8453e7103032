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

/** A config's KV v2 paths for a secret name. */
export interface KvPaths {
  /** `mount/pathPrefix/name`: the external reference the state records (`name` '' for the folder). */
  ref(name: string): string
  /** `mount/data/pathPrefix/name`: the values (read, write). */
  data(name: string): string
  /** `mount/metadata/pathPrefix/name`: versions (read), every version (delete). */
  metadata(name: string): string
  /** `mount/metadata/pathPrefix`: the folder listed. */
  list(): string
}

/**
 * The KV v2 paths of one config, its mount and pathPrefix encoded once, not at every request (a
 * migration asks for two paths per secret). Empty segments are dropped (no `//`); a name is one
 * segment unless it holds a `/`.
 */
export function kvPathsOf(c: OpenBaoConfig): KvPaths {
  const ref = [c.mount, c.pathPrefix]
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .join('/')
  const data = segments(c.mount, 'data', c.pathPrefix)
  const metadata = segments(c.mount, 'metadata', c.pathPrefix)
  const join = (base: string, tail: string) => (base && tail ? `${base}/${tail}` : base || tail)
  const plain = (name: string) => (name.includes('/') ? name.split('/').filter(Boolean).join('/') : name)
  const encoded = (name: string) => (name.includes('/') ? segments(name) : encodeURIComponent(name))
  return {
    ref: (name) => join(ref, plain(name)),
    data: (name) => join(data, encoded(name)),
    metadata: (name) => join(metadata, encoded(name)),
    list: () => metadata,
  }
}
