/**
 * An openbao backend's config as the manifest loader validated and defaulted it, and the KV v2
 * API paths of a secret under it: each segment URL-encoded, an empty pathPrefix leaving no `//`.
 */
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
    mount: String(config.mount ?? 'secret'),
    pathPrefix: String(config.pathPrefix ?? 'secretctl'),
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
