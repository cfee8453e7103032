/**
 * What `secretctl render` prints for secrets on kubernetes backends: the Secret exactly as apply
 * writes it (the same object builder, so the two never differ), and the pod spec fragment that
 * consumes it, `envFrom.secretRef` for every key and `secretKeyRef` per key, as kmcp's "Using
 * Secrets in Deployments" shows.
 */
import type {RenderHooks, RenderRequest} from '../kind.js'
import {keysDigest} from '../../state/keys-digest.js'
import {secretAddress} from '../../plan/addresses.js'
import {BackendError} from '../../errors.js'
import {kubernetesConfig, secretObjectName} from './kubernetes-config.js'
import {resolveConnection} from './kubernetes-connection.js'
import {KubeconfigError} from './kubernetes-kubeconfig.js'
import {secretObject} from './kubernetes-secret-object.js'

/** The namespace and Secret name apply would use (the driver's rules, without a request). */
function placement(req: RenderRequest): {namespace: string; name: string} {
  const config = kubernetesConfig(req.backend.config)
  const named = secretObjectName(config, req.secret.name)
  if ('invalid' in named)
    throw new BackendError(req.backend.name, `secret ${req.secret.name} gives the Kubernetes Secret name ${named.invalid}`)
  if (config.namespace) return {namespace: config.namespace, name: named.name}
  try {
    const readTrustRoot = () => Promise.reject(new Error('not needed for the namespace'))
    return {namespace: resolveConnection(config, {env: req.env, readTrustRoot}).namespace ?? 'default', name: named.name}
  } catch (err) {
    if (err instanceof KubeconfigError) throw new BackendError(req.backend.name, err.message, {hint: err.hint ?? 'or set config.namespace'})
    throw err
  }
}

export const kubernetesRender: RenderHooks = {
  manifestFor(req) {
    const {namespace, name} = placement(req)
    return secretObject({
      config: kubernetesConfig(req.backend.config),
      backend: req.backend.name,
      namespace,
      objectName: name,
      secretName: req.secret.name,
      address: secretAddress(req.secret.name),
      values: req.values,
      digest: req.fingerprints && keysDigest(req.fingerprints),
      plain: req.plainValues,
    }) as unknown as Record<string, unknown>
  },

  consumerSnippet(req) {
    const {namespace, name} = placement(req)
    return {
      comment: `secret ${req.secret.name}: Secret ${name} in namespace ${namespace}, for a container of a pod in that namespace (envFrom for every key, or env for some)`,
      snippet: {
        envFrom: [{secretRef: {name}}],
        env: req.keys.map((key) => ({name: key, valueFrom: {secretKeyRef: {name, key}}})),
      },
    }
  },
}
