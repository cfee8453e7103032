/**
 * The discovery documents kubectl reads before anything else: `/version`, `/api` (APIVersions),
 * `/api/v1` (APIResourceList), `/apis` (an empty APIGroupList: only the core group is served),
 * and OpenAPI v3 (`/openapi/v3` and `/openapi/v3/api/v1`). kubectl 1.32 reads the OpenAPI v3
 * document to learn that PATCH takes `fieldValidation` (then it validates on the server with
 * `fieldValidation=Strict` instead of downloading /openapi/v2), and `kubectl apply` computes its
 * strategic merge patch from the `x-kubernetes-patch-*` extensions found there. The legacy
 * (unaggregated) discovery format is served: clients that ask for the aggregated
 * `apidiscovery.k8s.io/v2` form fall back to it on a plain `application/json` answer.
 */
import {createHash} from 'node:crypto'
import {KINDS} from './kinds.js'

export interface VersionInfo {
  major: string
  minor: string
  gitVersion: string
}

export function versionDocument(v: VersionInfo): Record<string, string> {
  return {
    major: v.major,
    minor: v.minor,
    gitVersion: v.gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-01-01T00:00:00Z',
    goVersion: 'go1.23.4',
    compiler: 'gc',
    platform: 'linux/amd64',
  }
}

export function apiVersions(): unknown {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443'}],
  }
}

export function apiGroupList(): unknown {
  return {kind: 'APIGroupList', apiVersion: 'v1', groups: []}
}

export function apiResourceList(): unknown {
  const resources = []
  for (const k of KINDS) {
    resources.push({
      name: k.resource,
      singularName: k.singular,
      namespaced: k.namespaced,
      kind: k.kind,
      verbs: k.verbs,
      ...(k.shortNames.length ? {shortNames: k.shortNames} : {}),
      storageVersionHash: k.storageVersionHash,
    })
  }
  return {kind: 'APIResourceList', groupVersion: 'v1', resources}
}

const ref = (name: string) => ({$ref: `#/components/schemas/${name}`})
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1'
const gvk = (kind: string, group = '', version = 'v1') => [{group, kind, version}]

function queryParam(name: string, description: string, type = 'string') {
  return {name, in: 'query', description, schema: {type, uniqueItems: true}}
}

const COMMON_WRITE_PARAMS = [
  queryParam('dryRun', 'When present, indicates that modifications should not be persisted.'),
  queryParam('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  queryParam(
    'fieldValidation',
    'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict',
  ),
]

const LIST_PARAMS = [
  queryParam('allowWatchBookmarks', 'allowWatchBookmarks requests watch events with type "BOOKMARK".', 'boolean'),
  queryParam('continue', 'The continue option should be set when retrieving more results from the server.'),
  queryParam('fieldSelector', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  queryParam('labelSelector', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  queryParam('limit', 'limit is a maximum number of responses to return for a list call.', 'integer'),
  queryParam('resourceVersion', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
  queryParam('resourceVersionMatch', 'resourceVersionMatch determines how resourceVersion is applied to list calls.'),
  queryParam('timeoutSeconds', 'Timeout for the list/watch call.', 'integer'),
  queryParam(
    'watch',
    'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.',
    'boolean',
  ),
]

function jsonContent(schemaName: string) {
  return {
    'application/json': {schema: ref(schemaName)},
    'application/yaml': {schema: ref(schemaName)},
  }
}

function itemPath(kind: string, schema: string, namespaced: boolean) {
  const ext = (action: string) => ({'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': gvk(kind)[0]})
  const pathParams = [
    {name: 'name', in: 'path', description: `name of the ${kind}`, required: true, schema: {type: 'string', uniqueItems: true}},
    ...(namespaced
      ? [
          {
            name: 'namespace',
            in: 'path',
            description: 'object name and auth scope, such as for teams and projects',
            required: true,
            schema: {type: 'string', uniqueItems: true},
          },
        ]
      : []),
    queryParam('pretty', "If 'true', then the output is pretty printed."),
  ]
  return {
    get: {operationId: `read${kind}`, responses: {'200': {description: 'OK', content: jsonContent(schema)}}, ...ext('get')},
    put: {
      operationId: `replace${kind}`,
      parameters: COMMON_WRITE_PARAMS,
      requestBody: {content: {'*/*': {schema: ref(schema)}}, required: true},
      responses: {'200': {description: 'OK', content: jsonContent(schema)}},
      ...ext('put'),
    },
    delete: {
      operationId: `delete${kind}`,
      responses: {'200': {description: 'OK', content: jsonContent(`${META}.Status`)}},
      ...ext('delete'),
    },
    patch: {
      operationId: `patch${kind}`,
      parameters: [...COMMON_WRITE_PARAMS, queryParam('force', 'Force is going to "force" Apply requests.', 'boolean')],
      requestBody: {
        content: {
          'application/apply-patch+yaml': {schema: ref(`${META}.Patch`)},
          'application/json-patch+json': {schema: ref(`${META}.Patch`)},
          'application/merge-patch+json': {schema: ref(`${META}.Patch`)},
          'application/strategic-merge-patch+json': {schema: ref(`${META}.Patch`)},
        },
        required: true,
      },
      responses: {'200': {description: 'OK', content: jsonContent(schema)}},
      ...ext('patch'),
    },
    parameters: pathParams,
  }
}

function collectionPath(kind: string, schema: string, listSchema: string) {
  const ext = (action: string) => ({'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': gvk(kind)[0]})
  return {
    get: {
      operationId: `list${kind}`,
      parameters: LIST_PARAMS,
      responses: {'200': {description: 'OK', content: jsonContent(listSchema)}},
      ...ext('list'),
    },
    post: {
      operationId: `create${kind}`,
      parameters: COMMON_WRITE_PARAMS,
      requestBody: {content: {'*/*': {schema: ref(schema)}}, required: true},
      responses: {'201': {description: 'Created', content: jsonContent(schema)}},
      ...ext('post'),
    },
  }
}

const stringMap = {type: 'object', additionalProperties: {type: 'string', default: ''}}

function schemas(): Record<string, unknown> {
  return {
    [`${META}.ObjectMeta`]: {
      type: 'object',
      properties: {
        annotations: stringMap,
        creationTimestamp: ref(`${META}.Time`),
        deletionGracePeriodSeconds: {type: 'integer', format: 'int64'},
        deletionTimestamp: ref(`${META}.Time`),
        finalizers: {
          type: 'array',
          items: {type: 'string', default: ''},
          'x-kubernetes-list-type': 'set',
          'x-kubernetes-patch-strategy': 'merge',
        },
        generateName: {type: 'string'},
        generation: {type: 'integer', format: 'int64'},
        labels: stringMap,
        managedFields: {type: 'array', items: {type: 'object'}, 'x-kubernetes-list-type': 'atomic'},
        name: {type: 'string'},
        namespace: {type: 'string'},
        ownerReferences: {
          type: 'array',
          items: {default: {}, allOf: [ref(`${META}.OwnerReference`)]},
          'x-kubernetes-list-map-keys': ['uid'],
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-patch-merge-key': 'uid',
          'x-kubernetes-patch-strategy': 'merge',
        },
        resourceVersion: {type: 'string'},
        selfLink: {type: 'string'},
        uid: {type: 'string'},
      },
    },
    [`${META}.OwnerReference`]: {
      type: 'object',
      required: ['apiVersion', 'kind', 'name', 'uid'],
      properties: {
        apiVersion: {type: 'string', default: ''},
        blockOwnerDeletion: {type: 'boolean'},
        controller: {type: 'boolean'},
        kind: {type: 'string', default: ''},
        name: {type: 'string', default: ''},
        uid: {type: 'string', default: ''},
      },
      'x-kubernetes-map-type': 'atomic',
    },
    [`${META}.ListMeta`]: {
      type: 'object',
      properties: {
        continue: {type: 'string'},
        remainingItemCount: {type: 'integer', format: 'int64'},
        resourceVersion: {type: 'string'},
        selfLink: {type: 'string'},
      },
    },
    [`${META}.Time`]: {type: 'string', format: 'date-time'},
    [`${META}.Patch`]: {type: 'object'},
    [`${META}.Status`]: {
      type: 'object',
      properties: {
        apiVersion: {type: 'string'},
        code: {type: 'integer', format: 'int32'},
        details: {type: 'object'},
        kind: {type: 'string'},
        message: {type: 'string'},
        metadata: {default: {}, allOf: [ref(`${META}.ListMeta`)]},
        reason: {type: 'string'},
        status: {type: 'string'},
      },
      'x-kubernetes-group-version-kind': gvk('Status'),
    },
    'io.k8s.api.core.v1.Secret': {
      type: 'object',
      properties: {
        apiVersion: {type: 'string'},
        data: {type: 'object', additionalProperties: {type: 'string', format: 'byte'}},
        immutable: {type: 'boolean'},
        kind: {type: 'string'},
        metadata: {default: {}, allOf: [ref(`${META}.ObjectMeta`)]},
        stringData: stringMap,
        type: {type: 'string'},
      },
      'x-kubernetes-group-version-kind': gvk('Secret'),
    },
    'io.k8s.api.core.v1.SecretList': {
      type: 'object',
      required: ['items'],
      properties: {
        apiVersion: {type: 'string'},
        items: {type: 'array', items: {default: {}, allOf: [ref('io.k8s.api.core.v1.Secret')]}},
        kind: {type: 'string'},
        metadata: {default: {}, allOf: [ref(`${META}.ListMeta`)]},
      },
      'x-kubernetes-group-version-kind': gvk('SecretList'),
    },
    'io.k8s.api.core.v1.Namespace': {
      type: 'object',
      properties: {
        apiVersion: {type: 'string'},
        kind: {type: 'string'},
        metadata: {default: {}, allOf: [ref(`${META}.ObjectMeta`)]},
        spec: {default: {}, allOf: [ref('io.k8s.api.core.v1.NamespaceSpec')]},
        status: {default: {}, allOf: [ref('io.k8s.api.core.v1.NamespaceStatus')]},
      },
      'x-kubernetes-group-version-kind': gvk('Namespace'),
    },
    'io.k8s.api.core.v1.NamespaceSpec': {
      type: 'object',
      properties: {finalizers: {type: 'array', items: {type: 'string', default: ''}, 'x-kubernetes-list-type': 'atomic'}},
    },
    'io.k8s.api.core.v1.NamespaceStatus': {
      type: 'object',
      properties: {
        conditions: {
          type: 'array',
          items: {type: 'object'},
          'x-kubernetes-list-map-keys': ['type'],
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-patch-merge-key': 'type',
          'x-kubernetes-patch-strategy': 'merge',
        },
        phase: {type: 'string', enum: ['Active', 'Terminating']},
      },
    },
    'io.k8s.api.core.v1.NamespaceList': {
      type: 'object',
      required: ['items'],
      properties: {
        apiVersion: {type: 'string'},
        items: {type: 'array', items: {default: {}, allOf: [ref('io.k8s.api.core.v1.Namespace')]}},
        kind: {type: 'string'},
        metadata: {default: {}, allOf: [ref(`${META}.ListMeta`)]},
      },
      'x-kubernetes-group-version-kind': gvk('NamespaceList'),
    },
  }
}

/** The OpenAPI v3 document of `api/v1`: the paths of Secrets and Namespaces and their schemas. */
export function openApiV3CoreV1(): unknown {
  return {
    openapi: '3.0.0',
    info: {title: 'Kubernetes', version: 'v1.32.0'},
    paths: {
      '/api/v1/namespaces': collectionPath('Namespace', 'io.k8s.api.core.v1.Namespace', 'io.k8s.api.core.v1.NamespaceList'),
      '/api/v1/namespaces/{name}': itemPath('Namespace', 'io.k8s.api.core.v1.Namespace', false),
      '/api/v1/namespaces/{namespace}/secrets': {
        ...collectionPath('Secret', 'io.k8s.api.core.v1.Secret', 'io.k8s.api.core.v1.SecretList'),
        parameters: [{name: 'namespace', in: 'path', required: true, schema: {type: 'string', uniqueItems: true}}],
      },
      '/api/v1/namespaces/{namespace}/secrets/{name}': itemPath('Secret', 'io.k8s.api.core.v1.Secret', true),
      '/api/v1/secrets': {
        get: {
          operationId: 'listSecretForAllNamespaces',
          parameters: LIST_PARAMS,
          responses: {'200': {description: 'OK', content: jsonContent('io.k8s.api.core.v1.SecretList')}},
          'x-kubernetes-action': 'list',
          'x-kubernetes-group-version-kind': gvk('Secret')[0],
        },
      },
    },
    components: {schemas: schemas()},
  }
}

let cached: {body: Buffer; hash: string} | undefined

/** The v1 document as bytes and its hash (the `?hash=` clients use to cache it). */
export function openApiV3CoreV1Bytes(): {body: Buffer; hash: string} {
  if (!cached) {
    const body = Buffer.from(JSON.stringify(openApiV3CoreV1()))
    cached = {body, hash: createHash('sha512').update(body).digest('hex').toUpperCase().slice(0, 128)}
  }
  return cached
}

/** `/openapi/v3`: where each group-version's document is. */
export function openApiV3Index(): unknown {
  return {paths: {'api/v1': {serverRelativeURL: `/openapi/v3/api/v1?hash=${openApiV3CoreV1Bytes().hash}`}}}
}
