/**
 * The objects, as etcd holds them for the API server: one global, increasing resourceVersion
 * (a counter, sent as a string) stamped on every write, objects kept in key order
 * (`namespace/name`), and a bounded history of change events so a watch can resume from a
 * resourceVersion (older than the history: 410 Expired, as after a compaction).
 */
import type {KubeObject} from './kinds.js'

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface ChangeEvent {
  type: EventType
  resource: string
  namespace: string
  rv: number
  object: KubeObject
}

export type WatchListener = (event: ChangeEvent) => void

const HISTORY = 10_000

export class ObjectStore {
  private rv: number
  private readonly objects = new Map<string, Map<string, KubeObject>>()
  private readonly history: ChangeEvent[] = []
  private readonly listeners = new Set<WatchListener>()

  constructor(startResourceVersion = 1) {
    this.rv = startResourceVersion
  }

  /** The latest resourceVersion written (the list resourceVersion). */
  get resourceVersion(): number {
    return this.rv
  }

  /** The oldest resourceVersion a watch can resume from. */
  get oldestWatchable(): number {
    return this.history.length ? this.history[0]!.rv - 1 : this.rv
  }

  private bucket(resource: string): Map<string, KubeObject> {
    let b = this.objects.get(resource)
    if (!b) {
      b = new Map()
      this.objects.set(resource, b)
    }
    return b
  }

  static key(namespace: string, name: string): string {
    return namespace ? `${namespace}/${name}` : name
  }

  get(resource: string, namespace: string, name: string): KubeObject | undefined {
    return this.bucket(resource).get(ObjectStore.key(namespace, name))
  }

  /** Objects of a resource, in key order; `namespace` '' = all. */
  list(resource: string, namespace: string): KubeObject[] {
    const out: [string, KubeObject][] = []
    for (const [key, obj] of this.bucket(resource)) {
      if (namespace && obj.metadata.namespace !== namespace) continue
      out.push([key, obj])
    }
    out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    return out.map(([, o]) => o)
  }

  /** Writes (creates or replaces) an object, stamping the next resourceVersion. */
  put(resource: string, obj: KubeObject, type: EventType): KubeObject {
    this.rv++
    obj.metadata.resourceVersion = String(this.rv)
    const namespace = obj.metadata.namespace ?? ''
    this.bucket(resource).set(ObjectStore.key(namespace, obj.metadata.name ?? ''), obj)
    this.record({type, resource, namespace, rv: this.rv, object: obj})
    return obj
  }

  /** Removes an object; the DELETED event carries it with a new resourceVersion, as etcd's delete revision. */
  delete(resource: string, namespace: string, name: string): KubeObject | undefined {
    const b = this.bucket(resource)
    const key = ObjectStore.key(namespace, name)
    const obj = b.get(key)
    if (!obj) return undefined
    b.delete(key)
    this.rv++
    const gone = {...obj, metadata: {...obj.metadata, resourceVersion: String(this.rv)}}
    this.record({type: 'DELETED', resource, namespace, rv: this.rv, object: gone})
    return gone
  }

  private record(event: ChangeEvent): void {
    this.history.push(event)
    if (this.history.length > HISTORY) this.history.splice(0, this.history.length - HISTORY)
    for (const l of this.listeners) l(event)
  }

  /** Events after `rv` (exclusive), oldest first; undefined when the history no longer reaches back that far. */
  eventsSince(rv: number): ChangeEvent[] | undefined {
    if (rv < this.oldestWatchable) return undefined
    return this.history.filter((e) => e.rv > rv)
  }

  subscribe(listener: WatchListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
