/**
 * Vaults and items as the Connect API shows them: the stored records, the checks an item body
 * must pass (category, field types and purposes, section references, value generation), and the
 * JSON the API answers with — the spec's Vault, Item (a summary, as listed) and FullItem (with
 * sections, fields and files) — field names, enums and omissions following 1Password/connect
 * `docs/openapi/spec.yaml` and the SDKs' models (connect-sdk-go `onepassword/items.go`).
 */
import {randomInt} from 'node:crypto'
import {opId} from './ids.js'
import {errors} from './responses.js'

/** The spec's Item.category enum. */
export const CATEGORIES = [
  'LOGIN',
  'PASSWORD',
  'API_CREDENTIAL',
  'SERVER',
  'DATABASE',
  'CREDIT_CARD',
  'MEMBERSHIP',
  'PASSPORT',
  'SOFTWARE_LICENSE',
  'OUTDOOR_LICENSE',
  'SECURE_NOTE',
  'WIRELESS_ROUTER',
  'BANK_ACCOUNT',
  'DRIVER_LICENSE',
  'IDENTITY',
  'REWARD_PROGRAM',
  'DOCUMENT',
  'EMAIL_ACCOUNT',
  'SOCIAL_SECURITY_NUMBER',
  'MEDICAL_RECORD',
  'SSH_KEY',
  'CUSTOM',
] as const

/** The spec's Field.type enum plus the types connect-sdk-go knows (ADDRESS, PHONE, REFERENCE, …). */
export const FIELD_TYPES = [
  'STRING',
  'EMAIL',
  'CONCEALED',
  'URL',
  'OTP',
  'DATE',
  'MONTH_YEAR',
  'MENU',
  'SSHKEY',
  'ADDRESS',
  'CREDIT_CARD_NUMBER',
  'CREDIT_CARD_TYPE',
  'GENDER',
  'PHONE',
  'REFERENCE',
  'FILE',
  'UNKNOWN',
] as const

/** The spec's Field.purpose enum (`''` = none). */
export const PURPOSES = ['', 'USERNAME', 'PASSWORD', 'NOTES'] as const

export const VAULT_TYPES = ['USER_CREATED', 'PERSONAL', 'EVERYONE', 'TRANSFER'] as const

export interface VaultRecord {
  id: string
  name: string
  description: string
  type: (typeof VAULT_TYPES)[number]
  attributeVersion: number
  /** Bumped on every item change in the vault. */
  contentVersion: number
  createdAt: number
  updatedAt: number
}

export interface SectionRecord {
  id: string
  label: string
}

export interface FieldRecord {
  id: string
  type: string
  purpose: string
  label: string
  value: string
  sectionId?: string
  /** Set for generated values (the spec's read-only `entropy`). */
  entropy?: number
}

export interface FileRecord {
  id: string
  name: string
  content: Buffer
  sectionId?: string
}

export interface UrlRecord {
  href: string
  label?: string
  primary?: boolean
}

export interface ItemRecord {
  id: string
  vaultId: string
  title: string
  category: string
  urls: UrlRecord[]
  favorite: boolean
  tags: string[]
  /** 1 on creation, +1 on every change. */
  version: number
  sections: SectionRecord[]
  fields: FieldRecord[]
  files: FileRecord[]
  createdAt: number
  updatedAt: number
  lastEditedBy: string
}

/** A field as a request body (or a test seed) gives it. */
export interface FieldInput {
  id?: string
  label?: string
  value?: string
  type?: string
  purpose?: string
  section?: {id?: string; label?: string} | null
  generate?: boolean
  recipe?: {length?: number; characterSets?: string[]; excludeCharacters?: string}
}

/** An item as a request body gives it (the spec's FullItem; read-only attributes are ignored). */
export interface ItemInput {
  id?: string
  title?: string
  category?: string
  vault?: {id?: string}
  urls?: UrlRecord[]
  favorite?: boolean
  tags?: string[]
  sections?: {id?: string; label?: string}[]
  fields?: FieldInput[]
}

/** The editable part of an item after validation. */
export interface ItemContent {
  title: string
  category: string
  urls: UrlRecord[]
  favorite: boolean
  tags: string[]
  sections: SectionRecord[]
  fields: FieldRecord[]
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function optionalString(v: unknown, what: string): string | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw errors.badRequest(`Invalid ${what}: expected a string`)
  return v
}

const CHARSETS: Record<string, string> = {
  LETTERS: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
  DIGITS: '0123456789',
  SYMBOLS: '!#$%&()*+,-./:;<=>?@[]^_{|}~',
}

/** A value for a `generate: true` field, following its recipe (the spec's GeneratorRecipe). */
function generateValue(recipe: FieldInput['recipe']): {value: string; entropy: number} {
  if (recipe !== undefined && !isObject(recipe)) throw errors.badRequest('Invalid field recipe')
  const length = recipe?.length ?? 32
  if (!Number.isInteger(length) || length < 1 || length > 64) throw errors.badRequest('Invalid field recipe: length must be 1..64')
  const sets = recipe?.characterSets ?? ['LETTERS', 'DIGITS', 'SYMBOLS']
  if (!Array.isArray(sets) || sets.some((s) => typeof s !== 'string' || !(s.toUpperCase() in CHARSETS))) {
    throw errors.badRequest('Invalid field recipe: characterSets must be LETTERS, DIGITS or SYMBOLS')
  }
  const exclude = new Set(recipe?.excludeCharacters ?? '')
  // An empty characterSets still generates letters, as the apps do.
  const chosen = sets.length === 0 ? ['LETTERS'] : sets.map((s) => s.toUpperCase())
  const pool = [...new Set(chosen.map((s) => CHARSETS[s]).join(''))].filter((c) => !exclude.has(c))
  if (pool.length === 0) throw errors.badRequest('Invalid field recipe: no characters left to generate from')
  let value = ''
  for (let i = 0; i < length; i++) value += pool[randomInt(pool.length)]
  return {value, entropy: Math.round(length * Math.log2(pool.length) * 100) / 100}
}

function normalizeSections(input: unknown): SectionRecord[] {
  if (input === undefined || input === null) return []
  if (!Array.isArray(input)) throw errors.badRequest('Invalid sections: expected an array')
  const seen = new Set<string>()
  return input.map((s) => {
    if (!isObject(s)) throw errors.badRequest('Invalid section: expected an object')
    const id = optionalString(s.id, 'section id') || opId()
    if (seen.has(id)) throw errors.badRequest(`Duplicate section id ${id}`)
    seen.add(id)
    return {id, label: optionalString(s.label, 'section label') ?? ''}
  })
}

function normalizeField(f: unknown, sections: SectionRecord[], previous: Map<string, FieldRecord>): FieldRecord {
  if (!isObject(f)) throw errors.badRequest('Invalid field: expected an object')
  const id = optionalString(f.id, 'field id') || opId()
  const type = (optionalString(f.type, 'field type') ?? 'STRING').toUpperCase()
  if (!(FIELD_TYPES as readonly string[]).includes(type)) throw errors.badRequest(`Invalid field type ${JSON.stringify(f.type)}`)
  const purpose = (optionalString(f.purpose, 'field purpose') ?? '').toUpperCase()
  if (!(PURPOSES as readonly string[]).includes(purpose)) throw errors.badRequest(`Invalid field purpose ${JSON.stringify(f.purpose)}`)
  let sectionId: string | undefined
  if (f.section !== undefined && f.section !== null) {
    if (!isObject(f.section)) throw errors.badRequest('Invalid field section: expected an object')
    sectionId = optionalString(f.section.id, 'field section id')
    if (sectionId && !sections.some((s) => s.id === sectionId)) {
      throw errors.badRequest(`Invalid field section: the item has no section ${sectionId}`)
    }
  }
  const field: FieldRecord = {id, type, purpose, label: optionalString(f.label, 'field label') ?? '', value: ''}
  if (sectionId) field.sectionId = sectionId
  const value = optionalString(f.value, 'field value')
  if (f.generate === true && !value) {
    const generated = generateValue(f.recipe as FieldInput['recipe'])
    field.value = generated.value
    field.entropy = generated.entropy
  } else {
    field.value = value ?? ''
    // A value left unchanged keeps the entropy computed when it was generated.
    const before = previous.get(id)
    if (before?.entropy !== undefined && before.value === field.value) field.entropy = before.entropy
  }
  return field
}

/** Checks an item body and turns it into stored content (new ids for fields and sections without one). */
export function normalizeItemContent(input: unknown, previous?: ItemRecord): ItemContent {
  if (!isObject(input)) throw errors.badRequest('Invalid item: expected a JSON object')
  const category = optionalString(input.category, 'item category')?.toUpperCase()
  if (!category || !(CATEGORIES as readonly string[]).includes(category)) throw errors.invalidCategory()
  const tags = input.tags ?? []
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string')) throw errors.badRequest('Invalid tags: expected an array of strings')
  const urls = input.urls ?? []
  if (!Array.isArray(urls)) throw errors.badRequest('Invalid urls: expected an array')
  const urlRecords = urls.map((u): UrlRecord => {
    if (!isObject(u) || typeof u.href !== 'string') throw errors.badRequest('Invalid url: expected an object with href')
    const out: UrlRecord = {href: u.href}
    if (typeof u.label === 'string' && u.label) out.label = u.label
    if (u.primary === true) out.primary = true
    return out
  })
  if (input.favorite !== undefined && typeof input.favorite !== 'boolean') throw errors.badRequest('Invalid favorite: expected a boolean')
  const sections = normalizeSections(input.sections)
  const fieldsIn = input.fields ?? []
  if (!Array.isArray(fieldsIn)) throw errors.badRequest('Invalid fields: expected an array')
  const previousFields = new Map((previous?.fields ?? []).map((f) => [f.id, f]))
  const fields = fieldsIn.map((f) => normalizeField(f, sections, previousFields))
  const ids = new Set<string>()
  for (const f of fields) {
    if (ids.has(f.id)) throw errors.badRequest(`Duplicate field id ${f.id}`)
    ids.add(f.id)
  }
  return {
    title: optionalString(input.title, 'item title') ?? '',
    category,
    urls: urlRecords,
    favorite: input.favorite === true,
    tags: [...tags] as string[],
    sections,
    fields,
  }
}

/** The item as an editable document (FullItem without read-only attributes), for PATCH. */
export function itemDocument(item: ItemRecord): ItemInput {
  return {
    title: item.title,
    category: item.category,
    urls: item.urls.map((u) => ({...u})),
    favorite: item.favorite,
    tags: [...item.tags],
    sections: item.sections.map((s) => ({id: s.id, label: s.label})),
    fields: item.fields.map((f) => {
      const out: FieldInput = {id: f.id, type: f.type, label: f.label}
      if (f.purpose) out.purpose = f.purpose
      if (f.value) out.value = f.value
      if (f.sectionId) out.section = {id: f.sectionId}
      return out
    }),
  }
}

/** The JSON of a vault (the spec's Vault). */
export interface ConnectVault {
  id: string
  name: string
  description?: string
  attributeVersion: number
  contentVersion: number
  items: number
  type: string
  createdAt: string
  updatedAt: string
}

/** The JSON of a listed item (the spec's Item). */
export interface ConnectItemSummary {
  id: string
  title: string
  tags?: string[]
  version: number
  vault: {id: string}
  category: string
  urls?: UrlRecord[]
  favorite?: boolean
  lastEditedBy: string
  createdAt: string
  updatedAt: string
}

export interface ConnectField {
  id: string
  type: string
  purpose?: string
  label?: string
  value?: string
  section?: {id: string; label?: string}
  entropy?: number
}

export interface ConnectFile {
  id: string
  name: string
  size: number
  content_path: string
  section?: {id: string}
  content?: string
}

/** The JSON of a full item (the spec's FullItem). */
export interface ConnectItem extends ConnectItemSummary {
  sections?: {id: string; label?: string}[]
  fields: ConnectField[]
  files?: ConnectFile[]
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}

/** The spec's Vault. */
export function renderVault(vault: VaultRecord, itemCount: number): ConnectVault {
  return {
    id: vault.id,
    name: vault.name,
    ...(vault.description ? {description: vault.description} : {}),
    attributeVersion: vault.attributeVersion,
    contentVersion: vault.contentVersion,
    items: itemCount,
    type: vault.type,
    createdAt: iso(vault.createdAt),
    updatedAt: iso(vault.updatedAt),
  }
}

/** The spec's Item: what a list answers (no sections, fields or files, so no values). */
export function renderItemSummary(item: ItemRecord): ConnectItemSummary {
  return {
    id: item.id,
    title: item.title,
    ...(item.tags.length ? {tags: [...item.tags]} : {}),
    version: item.version,
    vault: {id: item.vaultId},
    category: item.category,
    ...(item.urls.length ? {urls: item.urls.map((u) => ({...u}))} : {}),
    ...(item.favorite ? {favorite: true} : {}),
    lastEditedBy: item.lastEditedBy,
    createdAt: iso(item.createdAt),
    updatedAt: iso(item.updatedAt),
  }
}

/** The path of a file's content, as the API hands it out (connect-sdk-go appends it to the server URL, so it starts with `/`). */
export function fileContentPath(item: ItemRecord, file: FileRecord): string {
  return `/v1/vaults/${item.vaultId}/items/${item.id}/files/${file.id}/content`
}

/** The spec's File; `content` (base64) only when asked for with `inline_files=true`. */
export function renderFile(item: ItemRecord, file: FileRecord, inline: boolean): ConnectFile {
  const out: ConnectFile = {id: file.id, name: file.name, size: file.content.length, content_path: fileContentPath(item, file)}
  if (file.sectionId) out.section = {id: file.sectionId}
  if (inline) out.content = file.content.toString('base64')
  return out
}

/** The spec's FullItem: the summary plus sections, fields (with values) and files. */
export function renderFullItem(item: ItemRecord): ConnectItem {
  const out: ConnectItem = {...renderItemSummary(item), fields: []}
  if (item.sections.length) out.sections = item.sections.map((s) => (s.label ? {id: s.id, label: s.label} : {id: s.id}))
  out.fields = item.fields.map((f) => {
    const field: ConnectField = {id: f.id, type: f.type}
    if (f.purpose) field.purpose = f.purpose
    if (f.label) field.label = f.label
    if (f.value) field.value = f.value
    if (f.sectionId) {
      const section = item.sections.find((s) => s.id === f.sectionId)
      field.section = section?.label ? {id: f.sectionId, label: section.label} : {id: f.sectionId}
    }
    if (f.entropy !== undefined) field.entropy = f.entropy
    return field
  })
  if (item.files.length) out.files = item.files.map((file) => renderFile(item, file, false))
  return out
}
