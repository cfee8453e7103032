/** An openbao backend's config as the loader validated it, with defaults, and its KV v2 paths. */
export interface OpenBaoConfig {
  url: string
  tokenSecretRef: {name: string; key: string}
  mount: string
  pathPrefix: string
  namespace?: string
}

export function openBaoConfig(config: Record<string, unknown>): OpenBaoConfig {
  return {
    url: String(config.url),
    tokenSecretRef: config.tokenSecretRef as {name: string; key: string},
    mount: String(config.mount ?? 'secret'),
    pathPrefix: String(config.pathPrefix ?? 'secretctl'),
    namespace: config.namespace === undefined ? undefined : String(config.namespace),
  }
}

function segments(...parts: string[]): string {
  return parts
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .map(encodeURIComponent)
    .join('/')
}

export const kvPaths = {
  /** `mount/pathPrefix/name`: the external reference the state records. */
  ref: (c: OpenBaoConfig, name: string) => [c.mount, c.pathPrefix, name].filter(Boolean).join('/'),
  data: (c: OpenBaoConfig, name: string) => segments(c.mount, 'data', c.pathPrefix, name),
  metadata: (c: OpenBaoConfig, name: string) => segments(c.mount, 'metadata', c.pathPrefix, name),
  list: (c: OpenBaoConfig) => segments(c.mount, 'metadata', c.pathPrefix),
}
