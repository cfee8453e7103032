/**
 * The contract between the router and a secrets engine mounted at a path: the engine gets the
 * path below its mount and the operation, answers an `Outcome`, tells the router whether a path
 * exists (OpenBao's existence check, which makes a write a `create` or an `update` for the ACL),
 * and whether a request reads secret values (for the request log).
 */
import type {RequestData} from './fields.js'
import type {Operation, Outcome} from './responses.js'

export interface BackendRequest {
  operation: Operation
  /** The path below the mount (`data/app`); list requests end with `/`. */
  subPath: string
  /** The mount's path (`secret/`). */
  mountPath: string
  data: RequestData
}

export interface Backend {
  /** The existence check for `subPath`: true/false, or undefined when that path has none. */
  exists(subPath: string): boolean | undefined
  handle(req: BackendRequest): Outcome
  /** Whether `op` on `subPath` returns secret values (a KV data read). */
  readsSecretData(op: Operation, subPath: string): boolean
}
