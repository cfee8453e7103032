/**
 * The plaintext driver: values live in the state database's own secrets row (state-rows-driver.ts).
 * This backend is the trust root that holds the tokens other backends authenticate with.
 */
import type {DriverContext, DriverFactory} from '../driver.js'
import {STATE_ROWS_CAPABILITIES, StateRowsDriver} from '../state-rows-driver.js'

export const PLAINTEXT_CAPABILITIES = STATE_ROWS_CAPABILITIES

export class PlaintextDriver extends StateRowsDriver {
  constructor(ctx: DriverContext) {
    super(ctx, 'plaintext')
  }
}

export const createPlaintextDriver: DriverFactory = (ctx) => new PlaintextDriver(ctx)
