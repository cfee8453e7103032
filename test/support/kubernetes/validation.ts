/**
 * The API server's validation of names, labels, annotations and Secret data, with its exact
 * messages (k8s.io/apimachinery `pkg/util/validation/validation.go`, `pkg/api/validation/
 * objectmeta.go`, `pkg/apis/meta/v1/validation`; kubernetes `pkg/apis/core/validation/
 * validation.go` ValidateSecret / ValidateSecretUpdate / ValidateNamespace), so a 422 from this
 * server reads like one from a cluster. Each check returns field errors; `status.ts` turns a
 * list of them into the Invalid Status.
 */
import type {FieldError} from './status.js'

/** validation.RegexError, including Go's `', ' + ' or '` double space between examples. */
function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`
  let s = `${msg} (e.g. `
  examples.forEach((ex, i) => {
    if (i > 0) s += ' or '
    s += `'${ex}', `
  })
  return `${s}regex used for validation is '${fmt}')`
}

const maxLenError = (n: number) => `must be no more than ${n} characters`
const EMPTY_ERROR = 'must be non-empty'

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?'
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`
const DNS1123_LABEL_RE = new RegExp(`^${DNS1123_LABEL_FMT}$`)
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`)
const DNS1123_LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"

export function isDns1123Label(value: string): string[] {
  const errs: string[] = []
  if (value.length > 63) errs.push(maxLenError(63))
  if (!DNS1123_LABEL_RE.test(value)) {
    if (DNS1123_SUBDOMAIN_RE.test(value)) errs.push('must not contain dots')
    else errs.push(regexError(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, 'my-name', '123-abc'))
  }
  return errs
}

export function isDns1123Subdomain(value: string): string[] {
  const errs: string[] = []
  if (value.length > 253) errs.push(maxLenError(253))
  if (!DNS1123_SUBDOMAIN_RE.test(value)) errs.push(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com'))
  return errs
}

const CONFIG_KEY_FMT = '[-._a-zA-Z0-9]+'
const CONFIG_KEY_RE = /^[-._a-zA-Z0-9]+$/

/** IsConfigMapKey: the rule for Secret `data` keys. */
export function isConfigMapKey(value: string): string[] {
  const errs: string[] = []
  if (value.length > 253) errs.push(maxLenError(253))
  if (!CONFIG_KEY_RE.test(value)) {
    errs.push(
      regexError(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
        CONFIG_KEY_FMT,
        'key.name',
        'KEY_NAME',
        'key-name',
      ),
    )
  }
  if (value === '.') errs.push("must not be '.'")
  else if (value === '..') errs.push("must not be '..'")
  else if (value.startsWith('..')) errs.push("must not start with '..'")
  return errs
}

const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'
const QUALIFIED_NAME_RE = new RegExp(`^${QUALIFIED_NAME_FMT}$`)
const QUALIFIED_NAME_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"

/** IsQualifiedName: label keys and annotation keys (`prefix/name`). */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = []
  const parts = value.split('/')
  let name: string
  if (parts.length === 1) {
    name = parts[0]!
  } else if (parts.length === 2) {
    const prefix = parts[0]!
    name = parts[1]!
    if (prefix.length === 0) errs.push(`prefix part ${EMPTY_ERROR}`)
    else for (const msg of isDns1123Subdomain(prefix)) errs.push(`prefix part ${msg}`)
  } else {
    return [
      `a qualified name ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ]
  }
  if (name.length === 0) errs.push(`name part ${EMPTY_ERROR}`)
  else if (name.length > 63) errs.push(`name part ${maxLenError(63)}`)
  if (!QUALIFIED_NAME_RE.test(name))
    errs.push(`name part ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`)
  return errs
}

const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`
const LABEL_VALUE_RE = new RegExp(`^${LABEL_VALUE_FMT}$`)

export function isValidLabelValue(value: string): string[] {
  const errs: string[] = []
  if (value.length > 63) errs.push(maxLenError(63))
  if (!LABEL_VALUE_RE.test(value)) {
    errs.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        LABEL_VALUE_FMT,
        'MyValue',
        'my_value',
        '12345',
      ),
    )
  }
  return errs
}

/** The field path of a map entry: `data[key]` (Path.Key). */
export function keyPath(path: string, key: string): string {
  return `${path}[${key}]`
}

const invalidErr = (field: string, value: unknown, detail: string): FieldError => ({type: 'FieldValueInvalid', field, value, detail})

export function validateLabels(labels: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = []
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const msg of isQualifiedName(k)) errs.push(invalidErr(path, k, msg))
    for (const msg of isValidLabelValue(v)) errs.push(invalidErr(keyPath(path, k), v, msg))
  }
  return errs
}

const TOTAL_ANNOTATION_SIZE = 256 * 1024

export function validateAnnotations(annotations: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = []
  let total = 0
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(invalidErr(path, k, msg))
    total += Buffer.byteLength(k) + Buffer.byteLength(v)
  }
  if (total > TOTAL_ANNOTATION_SIZE)
    errs.push({type: 'FieldValueTooLong', field: path, detail: `must have at most ${TOTAL_ANNOTATION_SIZE} bytes`})
  return errs
}

/** The ObjectMeta fields validation reads. */
export interface MetaForValidation {
  name?: string
  generateName?: string
  namespace?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  finalizers?: string[]
}

/** ValidateObjectMeta on create: the name by `nameFn`, the namespace, labels, annotations, finalizers. */
export function validateObjectMeta(meta: MetaForValidation, namespaced: boolean, nameFn: (name: string) => string[]): FieldError[] {
  const errs: FieldError[] = []
  if (meta.generateName)
    for (const msg of nameFn(maskTrailingDash(meta.generateName))) errs.push(invalidErr('metadata.generateName', meta.generateName, msg))
  if (!meta.name) errs.push({type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required'})
  else for (const msg of nameFn(meta.name)) errs.push(invalidErr('metadata.name', meta.name, msg))
  errs.push(...validateMetaCommon(meta, namespaced))
  return errs
}

function validateMetaCommon(meta: MetaForValidation, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = []
  if (namespaced) {
    if (!meta.namespace) errs.push({type: 'FieldValueRequired', field: 'metadata.namespace'})
    else for (const msg of isDns1123Label(meta.namespace)) errs.push(invalidErr('metadata.namespace', meta.namespace, msg))
  } else if (meta.namespace) {
    errs.push({type: 'FieldValueForbidden', field: 'metadata.namespace', detail: 'not allowed on this type'})
  }
  errs.push(...validateLabels(meta.labels, 'metadata.labels'))
  errs.push(...validateAnnotations(meta.annotations, 'metadata.annotations'))
  for (const f of meta.finalizers ?? []) {
    for (const msg of isQualifiedName(f)) errs.push(invalidErr('metadata.finalizers', f, msg))
  }
  return errs
}

/** ValidateObjectMetaUpdate: what may not change, and the same checks as on create. */
export function validateObjectMetaUpdate(
  next: MetaForValidation & {uid?: string; creationTimestamp?: string; resourceVersion?: string},
  prev: MetaForValidation & {uid?: string; creationTimestamp?: string},
  namespaced: boolean,
): FieldError[] {
  const errs: FieldError[] = []
  if (!next.resourceVersion)
    errs.push(invalidErr('metadata.resourceVersion', next.resourceVersion ?? '', 'must be specified for an update'))
  if (next.name !== prev.name) errs.push(invalidErr('metadata.name', next.name ?? '', 'field is immutable'))
  if ((next.namespace ?? '') !== (prev.namespace ?? ''))
    errs.push(invalidErr('metadata.namespace', next.namespace ?? '', 'field is immutable'))
  if (next.uid !== prev.uid) errs.push(invalidErr('metadata.uid', next.uid ?? '', 'field is immutable'))
  errs.push(...validateMetaCommon(next, namespaced).filter((e) => e.field !== 'metadata.namespace'))
  return errs
}

/** NameIsDNSSubdomain with prefix: a generateName may end in '-'. */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name
}

export const MAX_SECRET_SIZE = 1024 * 1024

/** The Secret-specific part of ValidateSecret: data keys, total size, and the keys each built-in type requires. */
export function validateSecretData(
  type: string,
  data: Record<string, Buffer>,
  annotations: Record<string, string> | undefined,
): FieldError[] {
  const errs: FieldError[] = []
  let total = 0
  for (const key of Object.keys(data).sort()) {
    for (const msg of isConfigMapKey(key)) errs.push(invalidErr(keyPath('data', key), key, msg))
    total += data[key]!.length
  }
  if (total > MAX_SECRET_SIZE) errs.push({type: 'FieldValueTooLong', field: 'data', detail: `must have at most ${MAX_SECRET_SIZE} bytes`})
  const required = (key: string) => errs.push({type: 'FieldValueRequired', field: keyPath('data', key)})
  const jsonValid = (key: string) => {
    try {
      const parsed = JSON.parse(data[key]!.toString('utf8')) as unknown
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new Error('json: cannot unmarshal into Go value of type map[string]interface {}')
    } catch (err) {
      errs.push(invalidErr(keyPath('data', key), '<secret contents redacted>', (err as Error).message))
    }
  }
  switch (type) {
    case 'kubernetes.io/service-account-token':
      if (!annotations?.['kubernetes.io/service-account.name']) {
        errs.push({type: 'FieldValueRequired', field: keyPath('metadata.annotations', 'kubernetes.io/service-account.name')})
      }
      break
    case 'kubernetes.io/dockercfg':
      if (!('.dockercfg' in data)) required('.dockercfg')
      else jsonValid('.dockercfg')
      break
    case 'kubernetes.io/dockerconfigjson':
      if (!('.dockerconfigjson' in data)) required('.dockerconfigjson')
      else jsonValid('.dockerconfigjson')
      break
    case 'kubernetes.io/basic-auth':
      if (!('username' in data) && !('password' in data)) {
        required('username')
        required('password')
      }
      break
    case 'kubernetes.io/ssh-auth':
      if (!data['ssh-privatekey']?.length) required('ssh-privatekey')
      break
    case 'kubernetes.io/tls':
      if (!('tls.crt' in data)) required('tls.crt')
      if (!('tls.key' in data)) required('tls.key')
      break
    default:
      break
  }
  return errs
}

/**
 * Go's base64.StdEncoding.Decode, error offsets included (`illegal base64 data at input byte N`):
 * padding required, CR and LF skipped, trailing bits not checked. Returns the bytes or the offset.
 */
export function decodeBase64Std(text: string): Buffer | {badByte: number} {
  const src = Buffer.from(text, 'latin1')
  const map = (c: number): number => {
    if (c >= 65 && c <= 90) return c - 65
    if (c >= 97 && c <= 122) return c - 71
    if (c >= 48 && c <= 57) return c + 4
    if (c === 43) return 62
    if (c === 47) return 63
    return -1
  }
  const out: number[] = []
  let si = 0
  const isNl = (c: number | undefined) => c === 10 || c === 13
  while (si < src.length) {
    const dbuf = [0, 0, 0, 0]
    let dlen = 4
    let j = 0
    let end = false
    for (; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return Buffer.from(out)
        return {badByte: si - j}
      }
      const c = src[si]!
      si++
      const v = map(c)
      if (v >= 0) {
        dbuf[j] = v
        continue
      }
      if (isNl(c)) {
        j--
        continue
      }
      if (c !== 61) return {badByte: si - 1}
      // Padding: this quantum is the last.
      if (j === 0 || j === 1) return {badByte: si - 1}
      if (j === 2) {
        while (si < src.length && isNl(src[si])) si++
        if (si === src.length) return {badByte: src.length}
        if (src[si] !== 61) return {badByte: si - 1}
        si++
      }
      while (si < src.length && isNl(src[si])) si++
      if (si < src.length) return {badByte: si}
      dlen = j
      end = true
      break
    }
    const val = (dbuf[0]! << 18) | (dbuf[1]! << 12) | (dbuf[2]! << 6) | dbuf[3]!
    const bytes = [(val >> 16) & 0xff, (val >> 8) & 0xff, val & 0xff]
    out.push(...bytes.slice(0, dlen - 1))
    if (end) break
  }
  return Buffer.from(out)
}
