/**
 * PATCH of an item: an RFC 6902 JSON Patch with only `add`, `remove` and `replace`, on Connect's
 * addressing (spec `PatchVaultItem`): `/` the whole item (its attributes replaced by the value's,
 * the others kept), `/title`, `/favorite`, `/tags/1`, `/fields` (add = append one field),
 * `/fields/{fieldId}` (a field by its id, not its index), `/fields/{fieldId}/label` (an attribute
 * of a field), and the same for `/sections`. Read-only attributes (id, version, vault,
 * timestamps) cannot be patched. The patched document goes through the same checks as a PUT body.
 */
import {type ItemContent, type ItemInput, type ItemRecord, itemDocument, normalizeItemContent} from './model.js'
import {errors} from './responses.js'

const EDITABLE = ['title', 'category', 'favorite', 'tags', 'urls', 'sections', 'fields']
/** Arrays whose members are addressed by `id` rather than by index. */
const BY_ID = new Set(['fields', 'sections'])

type Container = Record<string, unknown> | unknown[]

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function parsePointer(path: string): string[] {
  if (!path.startsWith('/')) throw errors.badRequest(`Invalid patch path ${JSON.stringify(path)}: must start with /`)
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}

/** The index of `segment` in `array`: by member id for fields and sections, else as a number (`-` = the end). */
function indexIn(array: unknown[], segment: string, byId: boolean, forAdd: boolean): number {
  if (byId) {
    const i = array.findIndex((m) => isObject(m) && m.id === segment)
    if (i >= 0) return i
  }
  if (segment === '-' && forAdd) return array.length
  if (/^(0|[1-9][0-9]*)$/.test(segment)) {
    const i = Number(segment)
    if (i < array.length || (forAdd && i === array.length)) return i
  }
  return -1
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T)
}

function applyOne(doc: ItemInput, op: Record<string, unknown>): ItemInput {
  const kind = op.op
  if (kind !== 'add' && kind !== 'remove' && kind !== 'replace') {
    throw errors.badRequest(`Invalid patch operation ${JSON.stringify(kind)}: only add, remove and replace are supported`)
  }
  if (typeof op.path !== 'string') throw errors.badRequest('Invalid patch: every operation needs a path')
  if (kind !== 'remove' && !('value' in op)) throw errors.badRequest(`Invalid patch: ${kind} ${op.path} needs a value`)
  const value = clone(op.value)
  if (op.path === '/' || op.path === '') {
    if (kind === 'remove') throw errors.badRequest('Invalid patch: cannot remove the item')
    if (!isObject(value)) throw errors.badRequest('Invalid patch: the item must be an object')
    const next: Record<string, unknown> = {...doc}
    for (const key of EDITABLE) if (key in value) next[key] = value[key]
    return next as ItemInput
  }
  const segments = parsePointer(op.path)
  if (!EDITABLE.includes(segments[0]!)) throw errors.badRequest(`Invalid patch path ${op.path}: ${segments[0]} cannot be changed`)
  const missing = () => errors.badRequest(`Invalid patch path ${op.path}: no such value on the item`)

  // Appending to a collection by naming it: add /fields {field} (Connect's example), /tags "x", …
  const root = doc as Record<string, unknown>
  const collection = root[segments[0]!]
  if (segments.length === 1 && kind === 'add' && Array.isArray(collection) && !Array.isArray(value)) {
    collection.push(value)
    return doc
  }

  let container: Container = root
  let parentKey = ''
  for (const segment of segments.slice(0, -1)) {
    let child: unknown
    if (Array.isArray(container)) {
      const i = indexIn(container, segment, BY_ID.has(parentKey), false)
      if (i < 0) throw missing()
      child = container[i]
    } else {
      child = container[segment]
    }
    if (!isObject(child) && !Array.isArray(child)) throw missing()
    container = child
    parentKey = segment
  }
  const last = segments.at(-1)!
  if (Array.isArray(container)) {
    const byId = BY_ID.has(parentKey)
    const i = indexIn(container, last, byId, kind === 'add')
    if (i < 0) throw missing()
    if (kind === 'remove') container.splice(i, 1)
    else if (kind === 'replace' || (byId && i < container.length && last !== '-')) {
      // A field or section replaced by id keeps that id unless the value names another.
      const current = container[i]
      container[i] = byId && isObject(value) && isObject(current) && value.id === undefined ? {...value, id: current.id} : value
    } else container.splice(i, 0, value)
  } else {
    if (kind !== 'add' && !(last in container)) throw missing()
    if (kind === 'remove') delete container[last]
    else container[last] = value
  }
  return doc
}

/** Applies a patch to an item; null when it has no operations (the item is left as it is). */
export function applyItemPatch(item: ItemRecord, ops: unknown): ItemContent | null {
  if (!Array.isArray(ops)) throw errors.badRequest('Invalid patch: expected an array of operations')
  if (ops.length === 0) return null
  let doc = itemDocument(item)
  for (const op of ops) {
    if (!isObject(op)) throw errors.badRequest('Invalid patch: every operation must be an object')
    doc = applyOne(doc, op)
  }
  return normalizeItemContent(doc, item)
}
