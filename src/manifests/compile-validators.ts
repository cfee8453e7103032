/**
 * The manifest validators compiled by ajv from the composed schemas: what the precompiled validators
 * (validator-code.ts, written by `npm run build`) are made from, and what a run uses where there are none
 * (the sources, under the tests). The options and schemas live here once for both.
 */
import {Ajv, type Options} from 'ajv'
import {KINDS} from './kinds.js'
import type {SchemaName, Validators} from './validate-schema.js'
import projectConfigSchema from '../../schemas/project-config.schema.json' with {type: 'json'}

/** The ajv instance of the manifest validators (validator-code.ts adds `code` options). */
export function manifestAjv(options: Options = {}): Ajv {
  const ajv = new Ajv({allErrors: true, verbose: true, strict: true, ...options})
  // Editor-facing annotations (VS Code reads them); we read them too for our messages.
  ajv.addKeyword({keyword: 'patternErrorMessage', schemaType: 'string'})
  ajv.addKeyword({keyword: 'errorMessage', schemaType: 'string'})
  return ajv
}

/** The schema of each name. */
export function manifestSchemas(): Record<SchemaName, object> {
  return {SecretBackend: KINDS.SecretBackend.schema(), Secret: KINDS.Secret.schema(), ProjectConfig: projectConfigSchema}
}

export function compileValidators(): Validators {
  const ajv = manifestAjv()
  const schemas = manifestSchemas()
  return {
    SecretBackend: ajv.compile(schemas.SecretBackend),
    Secret: ajv.compile(schemas.Secret),
    ProjectConfig: ajv.compile(schemas.ProjectConfig),
  }
}
