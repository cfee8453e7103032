/**
 * The trust root: the built-in backend `default`, always present in a state and of the kind that
 * keeps values in the state database. It holds the tokens other backends authenticate with.
 * One definition for the loader, the planner, the state seed and the driver pool.
 */
export const DEFAULT_BACKEND = 'default'

/** The kind of `default`, and of every backend a token secret may live on. */
export const TRUST_ROOT_TYPE = 'plaintext'

/** The description of the built-in trust root, as a new state is seeded with it. */
export const TRUST_ROOT_DESCRIPTION = `built-in ${TRUST_ROOT_TYPE} trust root`

/**
 * The trust-root secret and key a backend authenticates with: every kind that needs a token names
 * it as `config.tokenSecretRef: {name, key}`. Undefined for kinds without one.
 */
export function tokenSecretRef(config: Record<string, unknown>): {name: string; key: string} | undefined {
  const ref = config.tokenSecretRef as {name?: unknown; key?: unknown} | undefined
  return ref && typeof ref.name === 'string' && typeof ref.key === 'string' ? {name: ref.name, key: ref.key} : undefined
}
