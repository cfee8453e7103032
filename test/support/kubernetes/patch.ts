/**
 * The three PATCH bodies the API server accepts for built-in kinds, applied to an object's JSON:
 * JSON merge patch (RFC 7386: objects merge, `null` deletes, lists replace), strategic merge patch
 * (k8s.io/apimachinery `pkg/util/strategicpatch`: like merge patch, plus the `$patch`
 * (`replace`/`delete`/`merge`), `$retainKeys`, `$setElementOrder/…` and `$deleteFromPrimitiveList/…`
 * directives and lists merged by key where the type's schema says so — for Secrets and Namespaces
 * that is `metadata.ownerReferences` by `uid`, `metadata.finalizers` as a set, and
 * `status.conditions` by `type`; `data` is a map, so keys merge and `null` deletes one), and JSON
 * patch (RFC 6902, by fast-json-patch).
 */
import jsonPatch from 'fast-json-patch'
import {badRequest, StatusError} from './status.js'

type Json = null | boolean | number | string | Json[] | {[k: string]: Json}
type JsonObject = {[k: string]: Json}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** RFC 7386 merge patch. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch
  const out: JsonObject = isObject(target) ? {...target} : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k] ?? null, v)
  }
  return out
}

/** How a list field merges in a strategic merge patch; absent = replace. */
interface ListStrategy {
  /** Merge maps by this key; undefined = a list of primitives merged as a set. */
  mergeKey?: string
}

/** Patch strategies of the list fields of Secret and Namespace (from the types' `patchStrategy` tags). */
const LIST_STRATEGIES: Record<string, ListStrategy> = {
  'metadata.ownerReferences': {mergeKey: 'uid'},
  'metadata.finalizers': {},
  'status.conditions': {mergeKey: 'type'},
}

function fail(message: string): never {
  throw badRequest(message)
}

/** Applies a strategic merge patch to `original` (both parsed JSON objects). */
export function strategicMergePatch(original: Json, patch: Json): Json {
  if (!isObject(patch)) fail('error decoding patch: a strategic merge patch must be a JSON object')
  return mergeMap(isObject(original) ? original : {}, patch, '')
}

function mergeMap(original: JsonObject, patch: JsonObject, path: string): JsonObject {
  const directive = patch.$patch
  if (directive !== undefined) {
    if (directive === 'replace') {
      const {$patch: _, ...rest} = patch
      return stripDirectives(rest) as JsonObject
    }
    if (directive === 'delete') return {}
    if (directive !== 'merge') fail(`Unknown patch type: ${JSON.stringify(directive)} in map: ${JSON.stringify(patch)}`)
  }
  let out: JsonObject = {...original}
  const retain = patch.$retainKeys
  if (retain !== undefined) {
    if (!Array.isArray(retain)) fail('$retainKeys must be a list of strings')
    const keep = new Set(retain.map(String))
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)))
  }
  const orders: Record<string, Json[]> = {}
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue
    if (k.startsWith('$setElementOrder/')) {
      if (!Array.isArray(v)) fail(`${k} must be a list`)
      orders[k.slice('$setElementOrder/'.length)] = v
      continue
    }
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length)
      if (!Array.isArray(v)) fail(`${k} must be a list`)
      const current = out[field]
      if (Array.isArray(current)) out[field] = current.filter((x) => !v.some((d) => JSON.stringify(d) === JSON.stringify(x)))
      continue
    }
    const childPath = path ? `${path}.${k}` : k
    if (v === null) {
      delete out[k]
      continue
    }
    const current = out[k]
    if (isObject(v)) {
      if (v.$patch === 'delete' && Object.keys(v).length === 1) {
        delete out[k]
        continue
      }
      out[k] = mergeMap(isObject(current) ? current : {}, v, childPath)
    } else if (Array.isArray(v)) {
      out[k] = mergeList(Array.isArray(current) ? current : [], v, LIST_STRATEGIES[childPath])
    } else {
      out[k] = v
    }
  }
  for (const [field, order] of Object.entries(orders)) {
    const list = out[field]
    if (Array.isArray(list)) out[field] = applyOrder(list, order, LIST_STRATEGIES[path ? `${path}.${field}` : field])
  }
  return out
}

function sameKey(a: Json, b: Json, mergeKey: string | undefined): boolean {
  if (mergeKey === undefined) return JSON.stringify(a) === JSON.stringify(b)
  return isObject(a) && isObject(b) && JSON.stringify(a[mergeKey]) === JSON.stringify(b[mergeKey])
}

function mergeList(original: Json[], patch: Json[], strategy: ListStrategy | undefined): Json[] {
  const replaceDirective = patch.find((e) => isObject(e) && e.$patch === 'replace' && Object.keys(e).length === 1)
  if (!strategy || replaceDirective) return stripDirectives(patch.filter((e) => e !== replaceDirective)) as Json[]
  const out = [...original]
  for (const element of patch) {
    if (strategy.mergeKey !== undefined) {
      if (!isObject(element)) fail(`merging an object in json but data type is not map, got ${JSON.stringify(element)}`)
      if (element[strategy.mergeKey] === undefined)
        fail(`map: ${JSON.stringify(element)} does not contain declared merge key: ${strategy.mergeKey}`)
      const at = out.findIndex((x) => sameKey(x, element, strategy.mergeKey))
      if (element.$patch === 'delete') {
        if (at >= 0) out.splice(at, 1)
        continue
      }
      if (at >= 0) out[at] = mergeMap(out[at] as JsonObject, element, '')
      else out.push(stripDirectives(element))
    } else if (!out.some((x) => sameKey(x, element, undefined))) {
      out.push(element)
    }
  }
  return out
}

function applyOrder(list: Json[], order: Json[], strategy: ListStrategy | undefined): Json[] {
  const key = strategy?.mergeKey
  const ordered: Json[] = []
  const rest = [...list]
  for (const o of order) {
    const at = rest.findIndex((x) => (key === undefined ? sameKey(x, o, undefined) : sameKey(x, o, key)))
    if (at >= 0) ordered.push(...rest.splice(at, 1))
  }
  return [...ordered, ...rest]
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectives)
  if (!isObject(v)) return v
  const out: JsonObject = {}
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$')) continue
    out[k] = stripDirectives(x)
  }
  return out
}

/** RFC 6902 JSON patch; a malformed patch is a 400, a failing operation a 422 (as the API server answers). */
export function applyJsonPatch(original: Json, patch: unknown): Json {
  if (!Array.isArray(patch)) fail('json: cannot unmarshal object into Go value of type jsonpatch.Patch')
  try {
    const result = jsonPatch.applyPatch(structuredClone(original), patch as jsonPatch.Operation[], true, false)
    return result.newDocument as Json
  } catch (err) {
    const e = err as {name?: string; message?: string}
    if (e.name === 'TEST_OPERATION_FAILED' || e.name === 'OPERATION_PATH_UNRESOLVABLE' || e.name === 'OPERATION_FROM_UNRESOLVABLE') {
      throw unprocessable()
    }
    if (e.name?.startsWith('OPERATION_') || e.name?.startsWith('SEQUENCE_')) fail(String(e.message ?? e.name).split('\n')[0]!)
    throw unprocessable()
  }
}

function unprocessable(): StatusError {
  return new StatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'the server rejected our request due to an error in our request',
    reason: 'Invalid',
    details: {},
    code: 422,
  })
}

export type {Json, JsonObject}
export {isObject}
