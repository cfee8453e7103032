/** Assertions the OpenBao driver's unit suites share. */
import {expect} from 'vitest'
import {BackendError} from '../../../src/errors.js'
import type {OpenBaoDriver} from '../../../src/backends/openbao/openbao-driver.js'

/** The BackendError a promise rejects with (fails the test when it resolves). */
export async function failure(p: Promise<unknown>): Promise<BackendError> {
  const outcome = await p.then(
    (value) => ({value}),
    (err: unknown) => ({err}),
  )
  if (!('err' in outcome)) throw new Error(`expected a failure, got ${JSON.stringify(outcome.value)}`)
  expect(outcome.err).toBeInstanceOf(BackendError)
  return outcome.err as BackendError
}

/** The driver's pathPrefix, from the reference it gives a secret. */
export function prefixOf(d: OpenBaoDriver): string {
  return d
    .refFor('x')
    .replace(/^secret\//, '')
    .replace(/\/x$/, '')
}
