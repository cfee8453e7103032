/**
 * Reading and writing saved plans (`plan --out FILE`, `apply FILE`, `show FILE`). A plan file is
 * the plan's JSON, mode 0600, validated against schemas/plan.schema.json when read back.
 */
import {readFileSync, writeFileSync, chmodSync} from 'node:fs'
import {createRequire} from 'node:module'
import type {Ajv2020} from 'ajv/dist/2020.js'
import type {Plan} from './types.js'
import {UsageError} from '../errors.js'
import planSchema from '../../schemas/plan.schema.json' with {type: 'json'}

let validate: (((data: unknown) => boolean) & {errors?: Array<{instancePath: string; message?: string}> | null}) | undefined

function validator() {
  if (!validate) {
    // Loaded when a plan file is read, not by every command that imports this module (`plan` writes one).
    const {Ajv2020: Ajv} = createRequire(import.meta.url)('ajv/dist/2020.js') as {Ajv2020: typeof Ajv2020}
    const ajv = new Ajv({allErrors: true, strict: false})
    validate = ajv.compile(planSchema)
  }
  return validate
}

export function writePlanFile(file: string, plan: Plan): void {
  writeFileSync(file, JSON.stringify(plan, null, 2) + '\n', {mode: 0o600})
  chmodSync(file, 0o600)
}

export function readPlanFile(file: string): Plan {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new UsageError(`cannot read plan file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw new UsageError(`${file} is not a secretctl plan file (not JSON)`, 'write one with `secretctl plan --out FILE`')
  }
  const v = validator()
  if (!v(data)) {
    const first = v.errors?.[0]
    throw new UsageError(
      `${file} is not a valid secretctl plan file: ${first?.instancePath || '/'} ${first?.message ?? ''}`.trim(),
      'write one with `secretctl plan --out FILE` using this version of secretctl',
    )
  }
  return data as Plan
}
