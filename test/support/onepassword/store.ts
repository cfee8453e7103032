/**
 * The server's data: vaults and the items in them. Every change to an item — a create, a PUT, a
 * PATCH with at least one operation, a test edit — gives it `version + 1` and a new `updatedAt`,
 * and bumps its vault's `contentVersion`, so a client can detect drift by version as 1Password
 * clients do. Deleted items are gone (Connect never returns trashed items).
 */
import {opId} from './ids.js'
import {type FileRecord, type ItemContent, type ItemRecord, normalizeItemContent, VAULT_TYPES, type VaultRecord} from './model.js'
import {errors} from './responses.js'

export interface CreateVaultOptions {
  name: string
  description?: string
  type?: VaultRecord['type']
  /** A fixed id (26 characters of `[a-z0-9]`); default: a random one. */
  id?: string
}

export class ConnectStore {
  private readonly vaults = new Map<string, VaultRecord>()
  private readonly items = new Map<string, Map<string, ItemRecord>>()
  /** Who "last edited" items: the Connect server's service account (the spec's read-only lastEditedBy). */
  readonly editor = opId().toUpperCase()

  constructor(private readonly now: () => number) {}

  createVault(opts: CreateVaultOptions): VaultRecord {
    if (typeof opts.name !== 'string' || opts.name === '') throw new Error('a vault needs a name')
    const id = opts.id ?? opId()
    if (!/^[a-z0-9]{26}$/.test(id)) throw new Error(`a vault id is 26 characters of [a-z0-9], not ${JSON.stringify(id)}`)
    if (this.vaults.has(id)) throw new Error(`vault ${id} already exists`)
    const type = opts.type ?? 'USER_CREATED'
    if (!VAULT_TYPES.includes(type)) throw new Error(`unknown vault type ${type}`)
    const t = this.now()
    const vault: VaultRecord = {
      id,
      name: opts.name,
      description: opts.description ?? '',
      type,
      attributeVersion: 1,
      contentVersion: 1,
      createdAt: t,
      updatedAt: t,
    }
    this.vaults.set(id, vault)
    this.items.set(id, new Map())
    return vault
  }

  deleteVault(vaultId: string): boolean {
    this.items.delete(vaultId)
    return this.vaults.delete(vaultId)
  }

  vault(vaultId: string): VaultRecord | undefined {
    return this.vaults.get(vaultId)
  }

  allVaults(): VaultRecord[] {
    return [...this.vaults.values()]
  }

  itemCount(vaultId: string): number {
    return this.items.get(vaultId)?.size ?? 0
  }

  /** A vault by id, or else by exact name (test helpers take either). */
  findVault(idOrName: string): VaultRecord | undefined {
    return this.vaults.get(idOrName) ?? this.allVaults().find((v) => v.name === idOrName)
  }

  itemsIn(vaultId: string): ItemRecord[] {
    return [...(this.items.get(vaultId)?.values() ?? [])]
  }

  item(vaultId: string, itemId: string): ItemRecord | undefined {
    return this.items.get(vaultId)?.get(itemId)
  }

  private touchVault(vaultId: string, t: number): void {
    const vault = this.vaults.get(vaultId)
    if (vault) {
      vault.contentVersion++
      vault.updatedAt = t
    }
  }

  /** Creates an item from a request body (or seed); 400 on invalid input. */
  createItem(
    vaultId: string,
    input: unknown,
    opts: {id?: string; files?: {name: string; content: Buffer | string; section?: string}[]} = {},
  ): ItemRecord {
    const items = this.items.get(vaultId)
    if (!items) throw errors.vaultNotFound(vaultId)
    const content = normalizeItemContent(input)
    const id = opts.id ?? opId()
    if (items.has(id)) throw errors.badRequest(`item ${id} already exists`)
    const t = this.now()
    const files: FileRecord[] = (opts.files ?? []).map((f) => {
      const file: FileRecord = {id: opId(), name: f.name, content: Buffer.from(f.content)}
      if (f.section) file.sectionId = f.section
      return file
    })
    const item: ItemRecord = {...content, id, vaultId, version: 1, files, createdAt: t, updatedAt: t, lastEditedBy: this.editor}
    items.set(id, item)
    this.touchVault(vaultId, t)
    return item
  }

  /** Replaces an item's content (PUT, a PATCH result, a test edit); always a new version. */
  replaceItem(vaultId: string, itemId: string, content: ItemContent): ItemRecord {
    const item = this.item(vaultId, itemId)
    if (!item) throw errors.itemNotFound(itemId)
    const t = this.now()
    Object.assign(item, content)
    item.version++
    item.updatedAt = t
    item.lastEditedBy = this.editor
    this.touchVault(vaultId, t)
    return item
  }

  /** Checks a body against an item (its previous values matter for entropy) and replaces the item. */
  updateItem(vaultId: string, itemId: string, input: unknown): ItemRecord {
    const item = this.item(vaultId, itemId)
    if (!item) throw errors.itemNotFound(itemId)
    return this.replaceItem(vaultId, itemId, normalizeItemContent(input, item))
  }

  deleteItem(vaultId: string, itemId: string): boolean {
    const removed = this.items.get(vaultId)?.delete(itemId) ?? false
    if (removed) this.touchVault(vaultId, this.now())
    return removed
  }
}
