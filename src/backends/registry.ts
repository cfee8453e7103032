/**
 * The one place that maps a backend `type` to its driver. Every driver lives in
 * `src/backends/<type>/` and is registered here by a single line.
 */
import type {BackendDriver, DriverContext, DriverFactory} from './driver.js'
import {createPlaintextDriver} from './plaintext/plaintext-driver.js'
import {createOpenBaoDriver} from './openbao/openbao-driver.js'
import {BackendError} from '../errors.js'

const DRIVERS: Readonly<Record<string, DriverFactory>> = {
  plaintext: createPlaintextDriver,
  openbao: createOpenBaoDriver,
}

/** The driver for one backend record; an unknown type is a BackendError. */
export function createDriver(ctx: DriverContext): BackendDriver {
  const factory = Object.hasOwn(DRIVERS, ctx.backend.type) ? DRIVERS[ctx.backend.type] : undefined
  if (!factory) {
    throw new BackendError(ctx.backend.name, `unknown backend type ${ctx.backend.type}`, {hint: `known types: ${driverTypes().join(', ')}`})
  }
  return factory(ctx)
}

/** The backend types this build has a driver for, sorted. */
export function driverTypes(): string[] {
  return Object.keys(DRIVERS).sort()
}
