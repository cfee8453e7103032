/**
 * Reads the Kubernetes protobuf encoding of Secret and Namespace request bodies. kubectl's typed
 * clients (`kubectl create namespace`, `kubectl create secret generic`, …) send built-in kinds as
 * `application/vnd.kubernetes.protobuf`: the 4-byte magic `k8s\0`, then a runtime.Unknown
 * message (typeMeta, raw, contentEncoding, contentType) whose `raw` is the object in the
 * generated.proto messages of k8s.io/api/core/v1 and k8s.io/apimachinery meta/v1. The object is
 * turned into the same JSON shape a JSON body has, so one decoder (kinds.ts) validates both.
 * Replies are always JSON (clients list JSON in Accept after protobuf).
 */
import {badRequest} from './status.js'

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00])

type Field = {no: number; wire: number; value: bigint | Buffer}

function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n
  let shift = 0n
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint')
    const b = buf[pos++]!
    result |= BigInt(b & 0x7f) << shift
    if ((b & 0x80) === 0) return [result, pos]
    shift += 7n
    if (shift > 63n) throw new Error('varint too long')
  }
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = []
  let pos = 0
  while (pos < buf.length) {
    const [key, p1] = readVarint(buf, pos)
    pos = p1
    const no = Number(key >> 3n)
    const wire = Number(key & 7n)
    if (wire === 0) {
      const [v, p2] = readVarint(buf, pos)
      pos = p2
      out.push({no, wire, value: v})
    } else if (wire === 2) {
      const [len, p2] = readVarint(buf, pos)
      const end = p2 + Number(len)
      if (end > buf.length) throw new Error('truncated field')
      out.push({no, wire, value: buf.subarray(p2, end)})
      pos = end
    } else if (wire === 1) {
      out.push({no, wire, value: buf.subarray(pos, pos + 8)})
      pos += 8
    } else if (wire === 5) {
      out.push({no, wire, value: buf.subarray(pos, pos + 4)})
      pos += 4
    } else {
      throw new Error(`unsupported wire type ${wire}`)
    }
  }
  return out
}

const bytesOf = (f: Field) => (Buffer.isBuffer(f.value) ? f.value : Buffer.alloc(0))
const str = (f: Field) => bytesOf(f).toString('utf8')
const num = (f: Field) => (typeof f.value === 'bigint' ? BigInt.asIntN(64, f.value) : 0n)

function mapEntry(f: Field): [string, Buffer] {
  let key = ''
  let value: Buffer = Buffer.alloc(0)
  for (const e of fields(bytesOf(f))) {
    if (e.no === 1) key = str(e)
    else if (e.no === 2) value = bytesOf(e)
  }
  return [key, value]
}

function time(f: Field): string {
  let seconds = 0n
  for (const e of fields(bytesOf(f))) if (e.no === 1) seconds = num(e)
  return new Date(Number(seconds) * 1000).toISOString().replace('.000Z', 'Z')
}

function ownerReference(f: Field): Record<string, unknown> {
  const ref: Record<string, unknown> = {}
  for (const e of fields(bytesOf(f))) {
    if (e.no === 1) ref.kind = str(e)
    else if (e.no === 3) ref.name = str(e)
    else if (e.no === 4) ref.uid = str(e)
    else if (e.no === 5) ref.apiVersion = str(e)
    else if (e.no === 6) ref.controller = num(e) !== 0n
    else if (e.no === 7) ref.blockOwnerDeletion = num(e) !== 0n
  }
  return ref
}

function objectMeta(buf: Buffer): Record<string, unknown> {
  const meta: Record<string, unknown> = {}
  const labels: Record<string, string> = {}
  const annotations: Record<string, string> = {}
  const finalizers: string[] = []
  const owners: Record<string, unknown>[] = []
  const names = ['', 'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion']
  for (const f of fields(buf)) {
    if (f.no >= 1 && f.no <= 6) {
      const v = str(f)
      if (v) meta[names[f.no]!] = v
    } else if (f.no === 7) meta.generation = Number(num(f))
    else if (f.no === 8) meta.creationTimestamp = time(f)
    else if (f.no === 9) meta.deletionTimestamp = time(f)
    else if (f.no === 10) meta.deletionGracePeriodSeconds = Number(num(f))
    else if (f.no === 11) {
      const [k, v] = mapEntry(f)
      labels[k] = v.toString('utf8')
    } else if (f.no === 12) {
      const [k, v] = mapEntry(f)
      annotations[k] = v.toString('utf8')
    } else if (f.no === 13) owners.push(ownerReference(f))
    else if (f.no === 14) finalizers.push(str(f))
  }
  if (Object.keys(labels).length) meta.labels = labels
  if (Object.keys(annotations).length) meta.annotations = annotations
  if (owners.length) meta.ownerReferences = owners
  if (finalizers.length) meta.finalizers = finalizers
  // A zero creationTimestamp (seconds 0) is "unset" in Go.
  if (meta.creationTimestamp === '1970-01-01T00:00:00Z') delete meta.creationTimestamp
  return meta
}

function secret(buf: Buffer): Record<string, unknown> {
  const obj: Record<string, unknown> = {apiVersion: 'v1', kind: 'Secret'}
  const data: Record<string, string> = {}
  const stringData: Record<string, string> = {}
  let hasData = false
  let hasStringData = false
  for (const f of fields(buf)) {
    if (f.no === 1) obj.metadata = objectMeta(bytesOf(f))
    else if (f.no === 2) {
      const [k, v] = mapEntry(f)
      data[k] = v.toString('base64')
      hasData = true
    } else if (f.no === 3) obj.type = str(f)
    else if (f.no === 4) {
      const [k, v] = mapEntry(f)
      stringData[k] = v.toString('utf8')
      hasStringData = true
    } else if (f.no === 5) obj.immutable = num(f) !== 0n
  }
  if (hasData) obj.data = data
  if (hasStringData) obj.stringData = stringData
  return obj
}

function namespace(buf: Buffer): Record<string, unknown> {
  const obj: Record<string, unknown> = {apiVersion: 'v1', kind: 'Namespace'}
  for (const f of fields(buf)) {
    if (f.no === 1) obj.metadata = objectMeta(bytesOf(f))
    else if (f.no === 2) {
      const finalizers = fields(bytesOf(f))
        .filter((e) => e.no === 1)
        .map(str)
      obj.spec = finalizers.length ? {finalizers} : {}
    } else if (f.no === 3) {
      const phase = fields(bytesOf(f)).find((e) => e.no === 1)
      obj.status = phase ? {phase: str(phase)} : {}
    }
  }
  return obj
}

/** Decodes a protobuf request body into the JSON shape of the object; throws a 400 on anything else. */
export function decodeProtobufObject(body: Buffer, expectedKind: string): unknown {
  try {
    if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC))
      throw new Error('provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]')
    let kind = ''
    let raw: Buffer = Buffer.alloc(0)
    for (const f of fields(body.subarray(4))) {
      if (f.no === 1) {
        for (const t of fields(bytesOf(f))) if (t.no === 2) kind = str(t)
      } else if (f.no === 2) raw = bytesOf(f)
    }
    if (kind && kind !== expectedKind) throw new Error(`the kind in the data (${kind}) does not match the expected kind (${expectedKind})`)
    if (expectedKind === 'Secret') return secret(raw)
    if (expectedKind === 'Namespace') return namespace(raw)
    throw new Error(`no protobuf decoder for ${expectedKind}`)
  } catch (err) {
    throw badRequest((err as Error).message)
  }
}
