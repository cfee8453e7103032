/**
 * The least-privilege RBAC secretctl needs on a kubernetes backend, as YAML for `kubectl apply
 * -f`: a Role in the backend's namespace granting exactly the verbs on `secrets` the role uses,
 * and a RoleBinding to the identity secretctl runs as. Used by `rbac print` and the docs.
 */
import {stringify} from 'yaml'
import type {BackendManifest} from '../../manifests/types.js'
import type {AccessPolicy, AccessRole} from '../kind.js'

/** The verbs on `secrets` each role uses: plan gets and lists; apply also creates, updates (PUT) and deletes. */
export const SECRET_VERBS: Record<Exclude<AccessRole, 'rotator'>, string[]> = {
  planner: ['get', 'list'],
  applier: ['get', 'list', 'create', 'update', 'delete'],
}

/** The Role and RoleBinding a role needs on one kubernetes backend, for `rbac print`. */
export function kubernetesAccessPolicy(role: AccessRole, b: BackendManifest): AccessPolicy {
  if (role === 'rotator') return {note: `backend ${b.name}: kubernetes backends have no token secretctl rotates`}
  const declared = typeof b.config.namespace === 'string' ? b.config.namespace : undefined
  const namespace = declared ?? 'default'
  const name = `secretctl-${role}`
  const role_ = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: {name, namespace, labels: {'app.kubernetes.io/managed-by': 'secretctl'}},
    rules: [{apiGroups: [''], resources: ['secrets'], verbs: SECRET_VERBS[role]}],
  }
  const binding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: {name, namespace, labels: {'app.kubernetes.io/managed-by': 'secretctl'}},
    roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name},
    subjects: [{kind: 'ServiceAccount', name: 'secretctl', namespace}],
  }
  const notes = [
    `# secretctl ${role} on backend ${b.name}: ${SECRET_VERBS[role].join(', ')} on secrets in namespace ${namespace}`,
    ...(declared ? [] : ["# the backend names no namespace: it uses the kubeconfig context's (here: default); set config.namespace"]),
    ...(role === 'planner' ? ['# Kubernetes has no metadata-only permission on Secrets: get and list also let the token read values'] : []),
    '# subjects: the identity secretctl runs as (a ServiceAccount here; a User or Group works the same way)',
  ]
  return {
    title: `Kubernetes Role and RoleBinding for backend ${b.name} (apply with: kubectl apply -f FILE)`,
    text: `${notes.join('\n')}\n${stringify(role_)}---\n${stringify(binding)}`,
  }
}
