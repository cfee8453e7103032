/**
 * The `onepassword` driver: reads items through a 1Password Connect server, never writes. A secret's
 * keys are fields named by refs (`op://vault/item/[section/]field`); a key without a ref is the field
 * of that name in the item titled like the secret, in the backend's vault; a secret without refs is
 * that whole item (each field whose label is a valid key name). Drift is the item's `version`:
 * metadata lists items by title (Connect's summaries carry no field values). A 403 throws with
 * `forbidden`, never "missing"; only an item that is not there is missing.
 */
import type {BackendDriver, DriverContext, DriverFactory, HealthReport, SecretMetadata, SecretRefs, WriteResult} from '../driver.js'
import {ONEPASSWORD_CAPABILITIES} from './onepassword-kind.js'
import type {SecretValues} from '../../state/types.js'
import {BackendError} from '../../errors.js'
import {KEY_NAME_PATTERN} from '../../manifests/manifest-schemas.js'
import {ConnectClient, messageOf, type ConnectClientOptions, type ConnectResponse} from './onepassword-http-client.js'
import {formatOpRef, looksLikeId, parseOpRef, type OpRef} from './onepassword-refs.js'

/** Timings of the driver's HTTP client; the defaults suit production, tests shorten them. */
export type OnePasswordDriverOptions = Pick<ConnectClientOptions, 'timeoutMs' | 'retries' | 'minRetryMs' | 'maxRetryMs'>

/** Read-only, versioned by item version; the token is made in 1Password, not rotated by secretctl. */
/** A field of a full item, as Connect answers it. */
interface ConnectField {
  id: string
  label?: string
  value?: string
  section?: {id: string; label?: string}
}

/** An item as named by refs: its vault and item as written, and the keys that read it. */
interface ItemRef {
  vault: string
  item: string
  /** key → where in the item; undefined = every field (a secret without refs). */
  fields?: Map<string, Pick<OpRef, 'section' | 'field'>>
}

/** The item found: its id, version and vault id. */
interface ItemSummary {
  id: string
  version: number
  vaultId: string
}

export class OnePasswordDriver implements BackendDriver {
  readonly type = 'onepassword'
  readonly capabilities = ONEPASSWORD_CAPABILITIES
  readonly name: string
  private readonly client: ConnectClient
  private readonly defaultVault: string | undefined
  private token?: Promise<string>
  /** Vault name or id → id, for the run. */
  private readonly vaultIds = new Map<string, Promise<string>>()

  constructor(
    private readonly ctx: DriverContext,
    options: OnePasswordDriverOptions = {},
  ) {
    this.name = ctx.backend.name
    const config = ctx.backend.config
    this.defaultVault = typeof config.vault === 'string' ? config.vault : undefined
    this.client = new ConnectClient({...options, backend: this.name, url: String(config.url), concurrency: ctx.concurrency})
  }

  async health(): Promise<HealthReport> {
    try {
      const r = await this.client.get('health')
      return r.status === 200 ? {ok: true, detail: 'ok'} : {ok: false, detail: `health answered ${r.status}`}
    } catch (err) {
      if (err instanceof BackendError) return {ok: false, detail: err.message}
      throw err
    }
  }

  async metadata(secretName: string, refs?: SecretRefs): Promise<SecretMetadata> {
    const items = this.itemRefs(secretName, refs)
    const found = await Promise.all(items.map((i) => this.findItem(i)))
    if (found.some((f) => f === undefined)) return {exists: false, version: null}
    const summaries = found as ItemSummary[]
    // The item's id with its version: an item deleted and made again under the same title starts at version 1 again.
    const version = summaries
      .map((s) => `${s.id}:${s.version}`)
      .sort()
      .join(',')
    return {exists: true, version, externalRef: items.map((i) => formatOpRef(i)).join(' ')}
  }

  async read(secretName: string, refs?: SecretRefs): Promise<SecretValues | undefined> {
    const items = this.itemRefs(secretName, refs)
    const fetched = await Promise.all(items.map(async (i) => ({ref: i, item: await this.fetchItem(i)})))
    const missing = fetched.filter((f) => f.item === undefined)
    if (missing.length === fetched.length) return undefined
    if (missing.length) {
      throw new BackendError(this.name, `secret ${secretName}: no item ${formatOpRef(missing[0]!.ref)} (its other items are there)`, {
        hint: 'fix the secret’s refs, or make the item in 1Password',
      })
    }
    const values: SecretValues = {}
    for (const {ref, item} of fetched) Object.assign(values, this.fieldValues(secretName, ref, item as FullItem))
    return values
  }

  async write(): Promise<WriteResult> {
    throw new BackendError(this.name, 'is read-only: secretctl never writes to 1Password')
  }

  async delete(): Promise<void> {
    throw new BackendError(this.name, 'is read-only: secretctl never deletes from 1Password')
  }

  close(): Promise<void> {
    return this.client.close()
  }

  /** The items a secret's keys are in, each with the keys that read it. */
  private itemRefs(secretName: string, refs: SecretRefs | undefined): ItemRef[] {
    if (refs === undefined) return [{vault: this.vaultFor(secretName), item: secretName}]
    const byItem = new Map<string, ItemRef>()
    for (const key of Object.keys(refs).sort()) {
      const ref = refs[key]
      const r: OpRef = ref ? parseOpRef(ref) : {vault: this.vaultFor(secretName), item: secretName, field: key}
      const id = `${r.vault}\0${r.item}`
      const entry = byItem.get(id) ?? {vault: r.vault, item: r.item, fields: new Map()}
      entry.fields?.set(key, {section: r.section, field: r.field})
      byItem.set(id, entry)
    }
    return [...byItem.values()]
  }

  private vaultFor(secretName: string): string {
    if (this.defaultVault) return this.defaultVault
    throw new BackendError(this.name, `secret ${secretName} has a key without a ref, and the backend names no vault for it`, {
      hint: 'set config.vault on the backend, or give every key of the secret an op:// ref',
    })
  }

  /** The item's summary (no field values), or undefined when the vault has no such item. */
  private async findItem(ref: ItemRef): Promise<ItemSummary | undefined> {
    const vaultId = await this.vaultId(ref.vault)
    const path = `v1/vaults/${encodeURIComponent(vaultId)}/items?filter=${encodeURIComponent(`title eq "${escapeFilter(ref.item)}"`)}`
    const r = await this.call(path, `listing the items titled ${ref.item} in vault ${ref.vault}`)
    const list: unknown[] = Array.isArray(r.body) ? r.body : []
    if (list.length > 1)
      throw this.ambiguous(`${list.length} items are titled ${ref.item} in vault ${ref.vault}`, 'name the item by its ID in the ref')
    const summary = list[0] as {id?: unknown; version?: unknown} | undefined
    if (summary) return {id: String(summary.id), version: Number(summary.version), vaultId}
    if (!looksLikeId(ref.item)) return undefined
    // Not a title: an item ID. Connect has no summary by ID; the full item answers (its values are dropped).
    const item = await this.itemById(vaultId, ref.item, ref)
    return item ? {id: item.id, version: item.version, vaultId} : undefined
  }

  /** The full item (with field values), or undefined when there is none. */
  private async fetchItem(ref: ItemRef): Promise<FullItem | undefined> {
    const found = await this.findItem(ref)
    return found ? this.itemById(found.vaultId, found.id, ref) : undefined
  }

  private async itemById(vaultId: string, itemId: string, ref: ItemRef): Promise<FullItem | undefined> {
    const path = `v1/vaults/${encodeURIComponent(vaultId)}/items/${encodeURIComponent(itemId)}`
    const r = await this.call(path, `reading item ${ref.item} in vault ${ref.vault}`, {itemMayBeMissing: true})
    if (r.status === 404) return undefined
    const body = r.body as FullItem | null
    if (!body || typeof body.id !== 'string' || !Array.isArray(body.fields)) {
      throw new BackendError(this.name, `item ${ref.item} in vault ${ref.vault}: the answer is not an item`)
    }
    return body
  }

  /** A vault's id, by name first (Connect's `name eq` filter), then as an id; looked up once per run. */
  private vaultId(vault: string): Promise<string> {
    let pending = this.vaultIds.get(vault)
    if (!pending) {
      pending = (async () => {
        const path = `v1/vaults?filter=${encodeURIComponent(`name eq "${escapeFilter(vault)}"`)}`
        const r = await this.call(path, `looking up vault ${vault}`)
        const list: {id?: unknown}[] = Array.isArray(r.body) ? r.body : []
        if (list.length > 1) throw this.ambiguous(`${list.length} vaults are named ${vault}`, 'name the vault by its ID')
        if (list[0]) return String(list[0].id)
        if (looksLikeId(vault)) return vault
        // A vault the token cannot see is an error, never "the secret is missing".
        throw new BackendError(
          this.name,
          `no vault named ${vault} is visible to the token (it does not exist, or the token has no access to it)`,
          {
            hint: 'check the vault in the refs or config.vault, and the vaults the Connect token may read',
          },
        )
      })()
      pending.catch(() => this.vaultIds.delete(vault))
      this.vaultIds.set(vault, pending)
    }
    return pending
  }

  /** The values of the keys that read this item. */
  private fieldValues(secretName: string, ref: ItemRef, item: FullItem): SecretValues {
    const values: SecretValues = {}
    if (!ref.fields) {
      // The whole item: every field with a value whose label is a valid key name.
      const keyName = new RegExp(KEY_NAME_PATTERN)
      const labels = new Map<string, number>()
      for (const f of item.fields) if (f.label) labels.set(f.label, (labels.get(f.label) ?? 0) + 1)
      for (const f of item.fields) {
        if (!f.label || !keyName.test(f.label) || f.value === undefined || f.value === '') continue
        if ((labels.get(f.label) ?? 0) > 1) {
          throw this.ambiguous(
            `item ${ref.item} in vault ${ref.vault} has ${labels.get(f.label)} fields labelled ${f.label}`,
            `give secret ${secretName} refs naming the section`,
          )
        }
        values[f.label] = f.value
      }
      return values
    }
    for (const [key, at] of ref.fields) {
      const field = this.findField(item, at, ref, key)
      values[key] = field.value ?? ''
    }
    return values
  }

  /** A field by id, else by label (case-insensitively, as 1Password's references match), within the section when one is named. */
  private findField(item: FullItem, at: Pick<OpRef, 'section' | 'field'>, ref: ItemRef, key: string): ConnectField {
    const where = formatOpRef({vault: ref.vault, item: ref.item, ...at})
    let fields = item.fields
    if (at.section !== undefined) {
      const want = at.section.toLowerCase()
      const sections = (item.sections ?? []).filter((s) => s.id === at.section || s.label?.toLowerCase() === want)
      if (sections.length === 0) throw this.noField(`item ${ref.item} has no section ${at.section}`, where, key)
      const ids = new Set(sections.map((s) => s.id))
      fields = fields.filter((f) => f.section && ids.has(f.section.id))
    }
    const byId = fields.find((f) => f.id === at.field)
    if (byId) return byId
    const want = at.field.toLowerCase()
    const byLabel = fields.filter((f) => f.label?.toLowerCase() === want)
    if (byLabel.length > 1)
      throw this.ambiguous(
        `item ${ref.item} has ${byLabel.length} fields labelled ${at.field} (${where}, key ${key})`,
        'name the section in the ref, or the field by its ID',
      )
    if (!byLabel[0]) throw this.noField(`item ${ref.item} has no field ${at.field}`, where, key)
    return byLabel[0]
  }

  private noField(what: string, where: string, key: string): BackendError {
    return new BackendError(this.name, `${what} (${where}, key ${key})`, {hint: 'fix the ref, or add the field to the item in 1Password'})
  }

  private ambiguous(what: string, hint: string): BackendError {
    return new BackendError(this.name, what, {hint})
  }

  /** The token from the trust root, read on first use (a failed read is tried again next time). */
  private currentToken(): Promise<string> {
    if (!this.token) {
      const config = this.ctx.backend.config as {tokenSecretRef: {name: string; key: string}}
      const pending = this.ctx.readTrustRoot(config.tokenSecretRef).then((t) => t.trim())
      pending.catch(() => {
        if (this.token === pending) this.token = undefined
      })
      this.token = pending
    }
    return this.token
  }

  /**
   * A GET answered 200 (or 404 for an item, when `itemMayBeMissing`); anything else is an error:
   * 401 a refused token, 403 forbidden (never "missing"), a missing vault, a bad request.
   */
  private async call(path: string, doing: string, opts: {itemMayBeMissing?: boolean} = {}): Promise<ConnectResponse> {
    const r = await this.client.get(path, await this.currentToken())
    if (r.status === 200) return r
    const text = messageOf(r)
    if (r.status === 404 && opts.itemMayBeMissing && /^item /.test(text)) return r
    if (r.status === 401) {
      throw new BackendError(this.name, `1Password Connect refused the token ${doing} (401: ${text})`, {
        status: 401,
        hint: `store a valid Connect token on the backend's tokenSecretRef, or set SECRETCTL_BACKEND_TOKEN_<NAME> for this run`,
      })
    }
    if (r.status === 403) {
      throw new BackendError(this.name, `permission denied ${doing} (403: ${text})`, {
        status: 403,
        forbidden: true,
        hint: 'give the Connect token read access to the vault',
      })
    }
    throw new BackendError(this.name, `${doing}: GET ${path.split('?')[0]} answered ${r.status}: ${text}`, {status: r.status})
  }
}

interface FullItem {
  id: string
  version: number
  sections?: {id: string; label?: string}[]
  fields: ConnectField[]
}

/** A title or name inside a filter's quotes. */
function escapeFilter(text: string): string {
  return text.replace(/["\\]/g, (c) => `\\${c}`)
}

/** A factory with other timings (tests shorten the backoff and the timeout). */
export function onePasswordDriverFactory(options: OnePasswordDriverOptions = {}): DriverFactory {
  return (ctx: DriverContext) => new OnePasswordDriver(ctx, options)
}

export const createOnePasswordDriver: DriverFactory = onePasswordDriverFactory()
