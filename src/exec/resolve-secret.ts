/**
 * How consumers get a secret: by name, from whichever backend holds it now. The state says where a
 * secret lives; its backend's driver reads the value. A migration only changes the state's answer,
 * so a consumer resolving by name keeps working before, during and after a move.
 */
import type {StateStore, SecretValues} from '../state/types.js'
import {DriverPool} from '../backends/driver-pool.js'
import type {CredentialPrompt} from '../backends/driver.js'
import {UsageError, BackendError} from '../errors.js'

export class SecretResolver {
  private readonly drivers: DriverPool

  constructor(
    private readonly state: StateStore,
    env: NodeJS.ProcessEnv = {},
    concurrency = 16,
    run: {dir?: string; prompt?: CredentialPrompt} = {},
  ) {
    this.drivers = new DriverPool(state, concurrency, env, run)
  }

  async resolve(name: string): Promise<SecretValues> {
    const row = await this.state.getSecret(name)
    if (!row) throw new UsageError(`no secret named ${name} in the state`, 'list them with `secretctl get secrets`')
    const driver = await this.drivers.get(row.backend)
    const values = await driver.read(name)
    if (!values)
      throw new BackendError(row.backend, `holds no value for secret ${name}, although the state says it does (drift)`, {
        hint: 'run `secretctl plan` to see the drift',
      })
    return values
  }

  /** Closes the backends' connections (not the state: it belongs to the caller). */
  close(): Promise<void> {
    return this.drivers.close()
  }
}
