/**
 * A driver for values that live in the state database's own secrets rows. It does no I/O of its
 * own: `write` hands the values back as `rowData` and the apply puts them in the row in the same
 * transaction that places the secret, so such a write is atomic with its placement. The plaintext
 * kind is this driver as it is; the encrypted kind keeps its envelopes in the rows through it.
 */
import type {BackendDriver, DriverContext, HealthReport, SecretMetadata, WriteResult} from './driver.js'
import type {BackendCapabilities} from './kind.js'
import {StateError} from '../errors.js'
import {hasRetainedCopies, type RetainedCopyStore} from '../state/retained-copy-store.js'
import type {SecretValues, StateStore} from '../state/types.js'

/** Values in the row: no versions, no token; the pool of rows is listed by the state itself. */
export const STATE_ROWS_CAPABILITIES: BackendCapabilities = {
  readOnly: false,
  versioned: false,
  storesInState: true,
  rotatableToken: false,
  listable: true,
}

export class StateRowsDriver implements BackendDriver {
  readonly capabilities: BackendCapabilities = STATE_ROWS_CAPABILITIES
  readonly name: string
  private readonly state: StateStore

  constructor(
    ctx: DriverContext,
    readonly type: string,
  ) {
    this.name = ctx.backend.name
    this.state = ctx.state
  }

  async health(): Promise<HealthReport> {
    return {ok: true, detail: 'ok'}
  }

  /** The row's values when the secret lives here, else a copy retained here by a keepSource move. */
  async read(secretName: string): Promise<SecretValues | undefined> {
    const placed = await this.state.readRowData(secretName, this.name)
    if (placed) return placed
    return (await this.retained().readRetainedData(secretName, this.name)) ?? undefined
  }

  /** No I/O: the apply stores `rowData` in the row, in the placement transaction. */
  async write(_secretName: string, values: SecretValues): Promise<WriteResult> {
    return {externalRef: null, version: null, rowData: {...values}}
  }

  /**
   * Forgets a copy retained here. When the row itself is on this backend nothing happens here:
   * the row and its values go in `state.deleteSecret`, one transaction, so an interrupted delete
   * never leaves a row that names this backend while holding no values. (After a move away, the
   * placement transaction has already cleared the row's values.)
   */
  async delete(secretName: string): Promise<void> {
    await this.retained().deleteRetainedCopy(secretName, this.name)
  }

  /** Names of the secret rows placed on this backend (retained copies are not listed). */
  async list(): Promise<string[]> {
    return (await this.state.listSecrets()).filter((s) => s.backend === this.name).map((s) => s.name)
  }

  async metadata(secretName: string): Promise<SecretMetadata> {
    const row = await this.state.getSecret(secretName)
    const exists =
      (row !== undefined && row.backend === this.name) ||
      (await this.state.listRetainedCopies()).some((c) => c.secretName === secretName && c.backend === this.name)
    return {exists, version: null}
  }

  private retained(): RetainedCopyStore {
    if (!hasRetainedCopies(this.state)) {
      throw new StateError(`backend ${this.name}: this state store cannot read or remove retained copies`)
    }
    return this.state
  }
}
