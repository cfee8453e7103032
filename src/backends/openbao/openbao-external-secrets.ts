/**
 * External Secrets Operator resources for secrets on an openbao backend, for `secretctl render
 * --external-secrets`: a SecretStore with ESO's `vault` provider at the backend's server and KV v2
 * mount, and one ExternalSecret per secret mapping each key to `remoteRef {key: <pathPrefix>/<name>,
 * property: KEY}`, the path secretctl placed it at (ESO's HashiCorp Vault provider guide). The
 * cluster then pulls from OpenBao itself: no value is printed, none goes to git.
 */
import type {ExternalSecretsRequest, RenderHooks} from '../kind.js'
import {openBaoConfig} from './openbao-config.js'

/** The Kubernetes Secret ESO's SecretStore reads its OpenBao token from (created by the operator, never by secretctl). */
export function storeTokenSecretName(backend: string): string {
  return `${backend}-eso-token`
}

function externalSecrets(req: ExternalSecretsRequest): {comment: string; objects: Record<string, unknown>[]} {
  const c = openBaoConfig(req.backend.config)
  const store = {
    apiVersion: req.apiVersion,
    kind: 'SecretStore',
    metadata: {name: req.backend.name},
    spec: {
      provider: {
        vault: {
          server: c.url,
          path: c.mount,
          version: 'v2',
          ...(c.namespace ? {namespace: c.namespace} : {}),
          auth: {tokenSecretRef: {name: storeTokenSecretName(req.backend.name), key: 'token'}},
        },
      },
    },
  }
  const objects: Record<string, unknown>[] = [store]
  for (const {secret, keys} of req.secrets) {
    const remoteKey = [c.pathPrefix, secret.name].filter(Boolean).join('/')
    objects.push({
      apiVersion: req.apiVersion,
      kind: 'ExternalSecret',
      metadata: {name: secret.name, annotations: {'secretctl.dev/address': `secret.${secret.name}`}},
      spec: {
        refreshInterval: '1h',
        secretStoreRef: {name: req.backend.name, kind: 'SecretStore'},
        target: {name: secret.name, creationPolicy: 'Owner'},
        data: keys.map((key) => ({secretKey: key, remoteRef: {key: remoteKey, property: key}})),
      },
    })
  }
  return {
    comment:
      `backend ${req.backend.name}: OpenBao KV v2 mount ${c.mount} at ${c.url}. The SecretStore reads its token from the Secret ` +
      `${storeTokenSecretName(req.backend.name)} (key token), which you create in the same namespace with a token that may read ` +
      `${c.mount}/data/${c.pathPrefix ? `${c.pathPrefix}/` : ''}*`,
    objects,
  }
}

export const openBaoRender: RenderHooks = {externalSecretsFor: externalSecrets}
