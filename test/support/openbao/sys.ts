/**
 * The logical `sys/` endpoints (`vault/logical_system.go`, api-docs/system): ACL policies at
 * `sys/policies/acl/:name` and the legacy `sys/policy/:name` (`policy` or deprecated `rules`,
 * base64 accepted), mounts (`sys/mounts`, enable, disable, tune), namespaces, capabilities(-self,
 * -accessor), `sys/auth`, and `sys/internal/ui/mounts/:path` (the CLI's KV-version probe).
 * Routes OpenBao answers with its `HTTPSysInjector` also repeat `data` at the top level.
 */
import type {RequestContext} from './context.js'
import {FieldError, getBool, getMap, getString, getStringMap, getStringSlice, has} from './fields.js'
import {mountAccessor, uuid} from './ids.js'
import {mountInfo, MountError, normalizeMountPath} from './mounts.js'
import type {NamespaceState} from './namespaces.js'
import {sanitizePolicyName} from './policy-store.js'
import {SYSTEM_TTL_SECONDS} from './token-store.js'
import {fail, multiError, ok, type Outcome} from './responses.js'

const UNSUPPORTED_PATH = multiError('unsupported path')
const UNSUPPORTED_OPERATION = multiError('unsupported operation')

const tokenAuthMount = {accessor: mountAccessor('auth_token'), uuid: uuid()}

function isWrite(ctx: RequestContext): boolean {
  return ctx.operation === 'create' || ctx.operation === 'update'
}

function maybeBase64(text: string): string {
  if (text.length === 0 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return text
  const decoded = Buffer.from(text, 'base64')
  if (decoded.toString('base64') !== text) return text
  return decoded.toString('utf8')
}

/** Handles a request below `sys/` (the part after `sys/`). */
export function handleSys(ctx: RequestContext, sub: string): Outcome {
  try {
    return route(ctx, sub)
  } catch (err) {
    if (err instanceof FieldError) return fail(400, err.message)
    throw err
  }
}

function route(ctx: RequestContext, sub: string): Outcome {
  const op = ctx.operation
  // Policies, new style.
  if (sub === 'policies/acl' || sub === 'policies/acl/') {
    if (op !== 'list') return fail(405, UNSUPPORTED_OPERATION)
    return listPolicies(ctx, false)
  }
  let m = /^policies\/acl\/(.+)$/.exec(sub)
  if (m) return policyEndpoint(ctx, m[1]!, false)
  // Policies, legacy style (`GET sys/policy` lists).
  if (sub === 'policy' || sub === 'policy/') {
    if (op !== 'read' && op !== 'list') return fail(405, UNSUPPORTED_OPERATION)
    return listPolicies(ctx, true)
  }
  m = /^policy\/(.+)$/.exec(sub)
  if (m) return policyEndpoint(ctx, m[1]!, true)
  // Mounts.
  if (sub === 'mounts' || sub === 'mounts/') {
    if (op !== 'read') return fail(405, UNSUPPORTED_OPERATION)
    const data: Record<string, unknown> = {}
    for (const entry of ctx.namespace.mounts.all()) data[entry.path] = mountInfo(entry)
    return ok({data}, true)
  }
  m = /^mounts\/(.+?)\/tune$/.exec(sub)
  if (m) return tuneMount(ctx, m[1]!)
  m = /^mounts\/(.+)$/.exec(sub)
  if (m) return mountEndpoint(ctx, m[1]!)
  // Auth methods (only the token store exists).
  if (sub === 'auth' || sub === 'auth/') {
    if (op !== 'read') return fail(405, UNSUPPORTED_OPERATION)
    return ok(
      {
        data: {
          'token/': {
            accessor: tokenAuthMount.accessor,
            config: {default_lease_ttl: 0, force_no_cache: false, max_lease_ttl: 0, token_type: 'default-service'},
            description: 'token based credentials',
            external_entropy_access: false,
            local: false,
            options: null,
            plugin_version: '',
            running_plugin_version: 'v2.0.0+builtin.openbao',
            running_sha256: '',
            seal_wrap: false,
            type: 'token',
            uuid: tokenAuthMount.uuid,
          },
        },
      },
      true,
    )
  }
  // Namespaces.
  if (sub === 'namespaces' || sub === 'namespaces/') {
    if (op !== 'list') return fail(405, UNSUPPORTED_OPERATION)
    const keys: string[] = []
    const keyInfo: Record<string, unknown> = {}
    for (const [name, child] of [...ctx.namespace.children.entries()].sort()) {
      keys.push(`${name}/`)
      keyInfo[`${name}/`] = namespaceInfo(child, ctx.namespace)
    }
    return ok({data: keys.length ? {keys, key_info: keyInfo} : {}})
  }
  m = /^namespaces\/(.+)$/.exec(sub)
  if (m) return namespaceEndpoint(ctx, m[1]!.replace(/\/+$/, ''))
  // Capabilities.
  if (sub === 'capabilities-self' || sub === 'capabilities' || sub === 'capabilities-accessor') {
    if (!isWrite(ctx)) return fail(405, UNSUPPORTED_OPERATION)
    return capabilities(ctx, sub)
  }
  // The CLI's mount probe.
  m = /^internal\/ui\/mounts\/(.+)$/.exec(sub)
  if (m) {
    if (op !== 'read') return fail(405, UNSUPPORTED_OPERATION)
    return uiMount(ctx, m[1]!)
  }
  if (sub === 'internal/ui/mounts') {
    if (op !== 'read') return fail(405, UNSUPPORTED_OPERATION)
    const secret: Record<string, unknown> = {}
    for (const entry of ctx.namespace.mounts.all()) {
      if (ctx.acl?.hasMountAccess(ctx.aclPrefix + entry.path)) secret[entry.path] = mountInfo(entry)
    }
    return ok({data: {auth: {}, secret}})
  }
  return fail(404, UNSUPPORTED_PATH)
}

function listPolicies(ctx: RequestContext, legacy: boolean): Outcome {
  const keys = ctx.namespace.policies.list()
  if (ctx.namespace.isRoot) keys.push('root')
  const data: Record<string, unknown> = {keys}
  if (legacy) data.policies = [...keys]
  return ok({data}, legacy)
}

function policyEndpoint(ctx: RequestContext, rawName: string, legacy: boolean): Outcome {
  const store = ctx.namespace.policies
  const name = sanitizePolicyName(rawName)
  switch (ctx.operation) {
    case 'read': {
      const p = store.get(name)
      if (!p) return ok(null)
      if (legacy) return ok({data: {name: p.name, rules: p.raw}}, true)
      const data: Record<string, unknown> = {name: p.name, policy: p.raw}
      if (p.name !== 'root') {
        data.version = p.version
        data.cas_required = p.casRequired
        data.modified = new Date(p.modified).toISOString()
      }
      return ok({data})
    }
    case 'create':
    case 'update': {
      let text = getString(ctx.data, 'policy')
      if (legacy && !text) text = getString(ctx.data, 'rules')
      text = maybeBase64(text)
      if (!text) return fail(400, "'policy' parameter not supplied or empty")
      const cas = has(ctx.data, 'cas') ? Number(getString(ctx.data, 'cas')) : undefined
      const problem = store.set(name, text, {
        cas: cas === undefined || Number.isNaN(cas) ? undefined : cas,
        casRequired: getBool(ctx.data, 'cas_required', false),
      })
      if (problem) return fail(400, problem)
      return ok(null)
    }
    case 'delete': {
      const problem = store.delete(name)
      if (problem) return fail(400, problem)
      return ok(null)
    }
    default:
      return fail(405, UNSUPPORTED_OPERATION)
  }
}

function mountEndpoint(ctx: RequestContext, rawPath: string): Outcome {
  const table = ctx.namespace.mounts
  const path = normalizeMountPath(rawPath)
  switch (ctx.operation) {
    case 'read': {
      const entry = table.get(path)
      if (!entry) return fail(400, `No secret engine mount at ${path}`)
      return ok({data: mountInfo(entry)}, true)
    }
    case 'create':
    case 'update': {
      const type = getString(ctx.data, 'type')
      if (!type) return fail(400, 'backend type must be specified as a string')
      const rawOptions = getStringMap(ctx.data, 'options')
      try {
        table.enable(path, type, {
          description: getString(ctx.data, 'description'),
          options: rawOptions ?? null,
          local: getBool(ctx.data, 'local', false),
          sealWrap: getBool(ctx.data, 'seal_wrap', false),
        })
      } catch (err) {
        if (err instanceof MountError) return fail(400, err.message)
        throw err
      }
      return ok(null)
    }
    case 'delete':
      try {
        table.disable(path)
      } catch (err) {
        if (err instanceof MountError) return fail(400, err.message)
        throw err
      }
      return ok(null)
    default:
      return fail(405, UNSUPPORTED_OPERATION)
  }
}

function tuneMount(ctx: RequestContext, rawPath: string): Outcome {
  const table = ctx.namespace.mounts
  const entry = table.get(rawPath)
  if (ctx.operation === 'read') {
    if (!entry) return fail(400, `cannot fetch sysview for path ${JSON.stringify(normalizeMountPath(rawPath))}`)
    const data: Record<string, unknown> = {
      default_lease_ttl: entry.config.defaultLeaseTtl || SYSTEM_TTL_SECONDS,
      description: entry.description,
      force_no_cache: entry.config.forceNoCache,
      max_lease_ttl: entry.config.maxLeaseTtl || SYSTEM_TTL_SECONDS,
    }
    if (entry.options) data.options = {...entry.options}
    return ok({data}, true)
  }
  if (!isWrite(ctx)) return fail(405, UNSUPPORTED_OPERATION)
  if (!entry) return fail(400, `no mount entry found for path ${normalizeMountPath(rawPath)}`)
  if (has(ctx.data, 'description')) entry.description = getString(ctx.data, 'description')
  const options = getMap(ctx.data, 'options')
  if (options && typeof options.version === 'string' && options.version !== '') {
    try {
      table.tuneVersion(rawPath, options.version)
    } catch (err) {
      if (err instanceof MountError) return fail(400, err.message)
      throw err
    }
  }
  return ok(null)
}

function namespaceInfo(ns: NamespaceState, relativeTo: NamespaceState): Record<string, unknown> {
  return {custom_metadata: {...ns.customMetadata}, id: ns.id, path: ns.path.slice(relativeTo.path.length)}
}

function namespaceEndpoint(ctx: RequestContext, rawPath: string): Outcome {
  const registry = ctx.core.namespaces
  const target = registry.resolve(rawPath, ctx.namespace)
  switch (ctx.operation) {
    case 'read':
      return ok(target ? {data: namespaceInfo(target, ctx.namespace)} : null)
    case 'create':
    case 'update': {
      const segments = rawPath.split('/').filter((s) => s)
      const parentPath = segments.slice(0, -1).join('/')
      const parent = parentPath ? registry.resolve(parentPath, ctx.namespace) : ctx.namespace
      if (!parent) return fail(400, `parent namespace ${JSON.stringify(parentPath)} does not exist`)
      let created: NamespaceState
      try {
        created = registry.create(segments[segments.length - 1]!, parent)
      } catch (err) {
        return fail(400, (err as Error).message)
      }
      const metadata = getStringMap(ctx.data, 'custom_metadata')
      if (metadata) created.customMetadata = metadata
      return ok({data: namespaceInfo(created, ctx.namespace)})
    }
    case 'patch': {
      if (!target) return fail(404, 'requested namespace does not exist')
      const patch = getMap(ctx.data, 'custom_metadata')
      if (patch) {
        for (const [k, v] of Object.entries(patch)) {
          if (v === null) delete target.customMetadata[k]
          else target.customMetadata[k] = String(v)
        }
      }
      return ok({data: namespaceInfo(target, ctx.namespace)})
    }
    case 'delete': {
      if (!target) return ok(null)
      const problem = registry.delete(target)
      if (problem) return fail(400, problem)
      return ok(null)
    }
    default:
      return fail(405, UNSUPPORTED_OPERATION)
  }
}

function capabilities(ctx: RequestContext, which: string): Outcome {
  let paths = getStringSlice(ctx.data, 'paths')
  if (paths.length === 0) {
    const single = getString(ctx.data, 'path')
    if (single) paths = [single]
  }
  if (paths.length === 0) return fail(400, '"paths" must be supplied')
  let token = ctx.token
  if (which === 'capabilities') {
    const id = getString(ctx.data, 'token')
    if (!id) return fail(400, '"token" is required')
    token = ctx.core.tokens.lookup(id) ?? null
  } else if (which === 'capabilities-accessor') {
    const accessor = getString(ctx.data, 'accessor')
    if (!accessor) return fail(400, '"accessor" is required')
    token = ctx.core.tokens.lookupByAccessor(accessor) ?? null
  }
  const data: Record<string, unknown> = {}
  for (const path of paths) {
    if (!token) {
      data[path] = ['deny']
      continue
    }
    const tokenNs = ctx.core.namespaces.getById(token.namespaceId)
    if (!tokenNs) {
      data[path] = ['deny']
      continue
    }
    const acl = ctx.core.aclFor(token, tokenNs)
    data[path] = acl.capabilities(ctx.namespace.path.slice(tokenNs.path.length) + path.replace(/^\/+/, ''))
  }
  if (paths.length === 1) data.capabilities = data[paths[0]!]
  return ok({data}, true)
}

function uiMount(ctx: RequestContext, rawPath: string): Outcome {
  const path = rawPath.replace(/^\/+/, '')
  const match = ctx.namespace.mounts.match(path)
  if (!match || !ctx.acl?.hasMountAccess(ctx.aclPrefix + match.entry.path)) {
    return fail(
      403,
      `preflight capability check returned 403, please ensure client's policies grant access to path ${JSON.stringify(`${path.replace(/\/$/, '')}/`)}`,
    )
  }
  return ok({data: {...mountInfo(match.entry), path: match.entry.path}})
}
