/**
 * A kubernetes backend's config as the manifest loader validated and defaulted it, and what
 * follows from it: the Secret name of a secretctl secret (`nameTemplate`), and the labels and
 * annotations that mark a Secret as secretctl's (as External Secrets Operator marks its own: a
 * `managed-by` label, plus which secret and backend it belongs to, and a fingerprint of the data).
 */

/** The Secret name and type secretctl uses when the manifest says nothing. */
export const KUBERNETES_DEFAULTS = {nameTemplate: '{{name}}', type: 'Opaque'} as const

/** The config as written, with the defaults filled in. */
export function withKubernetesDefaults(config: Record<string, unknown>): Record<string, unknown> {
  return {...KUBERNETES_DEFAULTS, ...config}
}

/** `app.kubernetes.io/managed-by: secretctl`: the recommended label of the tool that manages an object. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by'
export const MANAGED_BY = 'secretctl'
/** The secretctl secret a Secret holds (its name, which the Secret's name may not be). */
export const SECRET_LABEL = 'secretctl.dev/secret'
/** The backend that wrote it: a listing selects on it, and a copy another backend took over is not this one's to delete. */
export const BACKEND_LABEL = 'secretctl.dev/backend'
/** The secret's address (`secret.NAME`), for a human reading the object. */
export const ADDRESS_ANNOTATION = 'secretctl.dev/address'
/** keysDigest of the per-key salted fingerprints of the data secretctl wrote: never a value. */
export const FINGERPRINT_ANNOTATION = 'secretctl.dev/fingerprint'

/** Label and annotation keys the backend's `labels`/`annotations` may not set: they carry ownership. */
export const RESERVED_KEY = /^(app\.kubernetes\.io\/managed-by$|secretctl\.dev\/)/

export interface KubernetesConfig {
  /** kubeconfig file (default `$KUBECONFIG`, then `~/.kube/config`). */
  kubeconfig?: string
  /** Context in the kubeconfig (default its current-context). */
  context?: string
  /** The pod's service account: token and CA at the standard paths. */
  inCluster: boolean
  /** API server URL, with `tokenSecretRef`. */
  server?: string
  tokenSecretRef?: {name: string; key: string}
  certificateAuthority?: string
  certificateAuthorityData?: string
  insecureSkipTlsVerify: boolean
  tlsServerName?: string
  /** Namespace of the Secrets; when absent, the context's (or the pod's), else `default`. */
  namespace?: string
  nameTemplate: string
  type: string
  labels: Record<string, string>
  annotations: Record<string, string>
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

export function kubernetesConfig(config: Record<string, unknown>): KubernetesConfig {
  return {
    kubeconfig: str(config.kubeconfig),
    context: str(config.context),
    inCluster: config.inCluster === true,
    server: str(config.server),
    tokenSecretRef: config.tokenSecretRef as KubernetesConfig['tokenSecretRef'],
    certificateAuthority: str(config.certificateAuthority),
    certificateAuthorityData: str(config.certificateAuthorityData),
    insecureSkipTlsVerify: config.insecureSkipTlsVerify === true,
    tlsServerName: str(config.tlsServerName),
    namespace: str(config.namespace),
    nameTemplate: str(config.nameTemplate) ?? KUBERNETES_DEFAULTS.nameTemplate,
    type: str(config.type) ?? KUBERNETES_DEFAULTS.type,
    labels: (config.labels as Record<string, string> | undefined) ?? {},
    annotations: (config.annotations as Record<string, string> | undefined) ?? {},
  }
}

/** A DNS-1123 subdomain, what a Secret's name must be (apimachinery's IsDNS1123Subdomain). */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/** The Secret name of a secret, or a reason why the template gives no valid one. */
export function secretObjectName(c: Pick<KubernetesConfig, 'nameTemplate'>, secretName: string): {name: string} | {invalid: string} {
  const name = c.nameTemplate.split('{{name}}').join(secretName)
  if (name.length > 253) return {invalid: `${name.slice(0, 40)}… is longer than 253 characters`}
  if (!DNS1123_SUBDOMAIN.test(name))
    return {
      invalid: `"${name}" is not a valid Secret name (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit)`,
    }
  return {name}
}

/** The labels of a Secret secretctl writes: the backend's own, then the ownership labels. */
export function ownershipLabels(c: KubernetesConfig, backend: string, secretName: string): Record<string, string> {
  return {...c.labels, [MANAGED_BY_LABEL]: MANAGED_BY, [SECRET_LABEL]: secretName, [BACKEND_LABEL]: backend}
}

/** The annotations of a Secret secretctl writes: the backend's own, then the address and the fingerprint. */
export function ownershipAnnotations(c: KubernetesConfig, secretAddress: string, digest: string | undefined): Record<string, string> {
  return {...c.annotations, [ADDRESS_ANNOTATION]: secretAddress, ...(digest ? {[FINGERPRINT_ANNOTATION]: digest} : {})}
}

/** The label selector of the Secrets one backend wrote. */
export function ownedSelector(backend: string): string {
  return `${MANAGED_BY_LABEL}=${MANAGED_BY},${BACKEND_LABEL}=${backend}`
}

/** Whether an object's labels say secretctl wrote it for this secret (whichever backend). */
export function ownedBySecretctl(labels: Record<string, string> | undefined, secretName: string): boolean {
  return labels?.[MANAGED_BY_LABEL] === MANAGED_BY && labels[SECRET_LABEL] === secretName
}
