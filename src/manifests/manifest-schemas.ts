/**
 * The JSON Schemas of the manifest kinds, composed from each backend kind's and each value
 * source's own fragment, so that the schema the loader validates with and the one editors read
 * (`schemas/*.schema.json`, written from this by `npm run build`) never disagree.
 */
import {existsSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {backendKinds, typeSpellings} from '../backends/registry.js'
import {DEFAULT_BACKEND, TRUST_ROOT_TYPE} from '../backends/trust-root.js'
import {keySources, secretSources} from '../sources/registry.js'

const NAME = {
  type: 'string',
  minLength: 1,
  maxLength: 63,
  pattern: '^[a-z0-9]([a-z0-9-_.]*[a-z0-9])?$',
  patternErrorMessage: "must be lowercase letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
}

const DURATION = {
  type: 'string',
  pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$',
  patternErrorMessage: 'must be a duration such as 45s, 90m, 1h30m, 24h or 30d',
}

const KIND_FIELD = (word: string, shown: string) => ({
  description: `The manifest kind, matched case-insensitively (\`${shown}\`, \`${shown.toLowerCase()}\`).`,
  type: 'string',
  pattern: `^${[...word].map((c) => `[${c.toUpperCase()}${c.toLowerCase()}]`).join('')}$`,
  patternErrorMessage: `must be ${shown}`,
})

const COMMON = {
  $schema: {description: 'The JSON Schema editors use for this file; ignored by secretctl.', type: 'string'},
  apiVersion: {description: 'Optional; when given it must be `secretctl/v1`.', const: 'secretctl/v1'},
  environments: {
    description: 'Only in these environments (declared in secretctl.yaml); omit for every environment.',
    type: 'array',
    items: {type: 'string', minLength: 1},
    minItems: 1,
  },
}

export function secretBackendSchema(): Record<string, unknown> {
  const kinds = backendKinds()
  const typeList = kinds.map(
    (k) => `\`${k.type}\` (${k.summary}${k.aliases.length ? `; alias ${k.aliases.map((a) => `\`${a}\``).join(', ')}` : ''})`,
  )
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://secretctl.dev/schemas/secret-backend.schema.json',
    title: 'secretctl SecretBackend',
    description: `A secret backend: where secret values are stored. The ${TRUST_ROOT_TYPE} backend \`${DEFAULT_BACKEND}\` always exists.`,
    type: 'object',
    properties: {
      kind: KIND_FIELD('secretbackend', 'SecretBackend'),
      ...COMMON,
      name: {$ref: '#/definitions/name', description: "The backend's name, unique among backends; secrets refer to it with `backend:`."},
      type: {description: `Driver: ${typeList.join(', ')}.`, type: 'string', enum: typeSpellings()},
      description: {description: 'Free text for humans.', type: 'string'},
      isDefault: {
        description:
          'Secrets without `backend:` go to the default backend. At most one backend may say true; when none does, `default` is the default.',
        type: 'boolean',
        default: false,
      },
      config: {description: 'Driver configuration; depends on `type`.', type: 'object'},
      rotation: {
        description: "For kinds whose token secretctl can rotate: secretctl manages this backend's token and rotates it when due.",
        type: 'object',
      },
    },
    required: ['kind', 'name', 'type'],
    additionalProperties: false,
    allOf: kinds.map((k) => ({
      if: {properties: {type: {enum: [k.type, ...k.aliases]}}, required: ['type']},
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, not a promise
      then: {
        properties: {
          config: {$ref: `#/definitions/${k.type}Config`},
          ...(k.rotationSchema ? {rotation: {$ref: `#/definitions/${k.type}Rotation`}} : {}),
        },
        ...(k.configRequired ? {required: ['config']} : {}),
      },
    })),
    definitions: {
      name: NAME,
      duration: DURATION,
      ...Object.fromEntries(
        kinds.flatMap((k) => [[`${k.type}Config`, k.configSchema], ...(k.rotationSchema ? [[`${k.type}Rotation`, k.rotationSchema]] : [])]),
      ),
    },
  }
}

export function secretSchema(): Record<string, unknown> {
  const keyLevel = keySources()
  const fileLevel = secretSources()
  const keyFields = keyLevel.map((s) => s.field)
  const refKinds = backendKinds().filter((k) => k.secretRefs)
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://secretctl.dev/schemas/secret.schema.json',
    title: 'secretctl Secret',
    description:
      'A secret: its keys, where each value comes from, and the backend it lives on. Never a literal value: manifests live in git.',
    type: 'object',
    properties: {
      kind: KIND_FIELD('secret', 'Secret'),
      ...COMMON,
      name: {$ref: '#/definitions/name', description: "The secret's name, unique among secrets."},
      backend: {
        $ref: '#/definitions/name',
        description: 'Backend the secret lives on; omit for the default backend. Changing it moves the secret.',
      },
      description: {description: 'Free text for humans.', type: 'string'},
      data: {
        description: `The secret's keys and where each value comes from. Omit data and ${fileLevel.map((s) => s.field).join(', ')} for a placement-only secret.`,
        type: 'object',
        propertyNames: KEY_PROPERTY_NAMES,
        additionalProperties: {$ref: '#/definitions/valueSource'},
      },
      ...Object.fromEntries(fileLevel.map((s) => [s.field, {description: s.summary, ...s.schema}])),
      refs: {
        description: `For a secret on a backend secretctl only reads (${refKinds
          .map((k) => `${k.type}: ${k.secretRefs?.syntax}`)
          .join(
            '; ',
          )}): each key and where its value already is there; a key with no value follows the kind's convention. Not with data sources.`,
        type: 'object',
        propertyNames: KEY_PROPERTY_NAMES,
        minProperties: 1,
        additionalProperties: {type: ['string', 'null'], minLength: 1},
      },
      keepSource: {description: 'On a move, also leave the copy on the old backend.', type: 'boolean', default: false},
      adopt: {
        description:
          'Take over an existing object that secretctl did not create, on kinds that mark ownership (e.g. a Kubernetes Secret made by hand): without it such an object is never overwritten or deleted.',
        type: 'boolean',
        default: false,
      },
    },
    required: ['kind', 'name'],
    additionalProperties: false,
    definitions: {
      name: NAME,
      duration: DURATION,
      valueSource: {
        description: `Exactly one of ${keyFields.join(', ')}.`,
        type: 'object',
        properties: Object.fromEntries(keyLevel.map((s) => [s.field, {description: s.summary, ...s.schema}])),
        minProperties: 1,
        maxProperties: 1,
        errorMessage: `give exactly one of ${keyFields.join(', ')}`,
        additionalProperties: false,
      },
    },
  }
}

/** Key names of a secret: they become file names, environment variables and JSON keys. */
export const KEY_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_.-]*$'

const KEY_PROPERTY_NAMES = {
  pattern: KEY_NAME_PATTERN,
  patternErrorMessage: "must start with a letter or '_' and hold only letters, digits, '_', '.' or '-'",
}

type SchemaKind = 'SecretBackend' | 'Secret' | 'ProjectConfig'

const SCHEMA_FILES: Record<SchemaKind, string> = {
  SecretBackend: 'secret-backend.schema.json',
  Secret: 'secret.schema.json',
  ProjectConfig: 'project-config.schema.json',
}

/** The packaged schema file of a kind: schemas/ at the package root (above src/, or above dist/src/ once built). */
export function packagedSchemaPath(kind: SchemaKind): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir)
  return path.join(dir, 'schemas', SCHEMA_FILES[kind])
}

/** The line YAML editors (yaml-language-server) read to validate a manifest, with the packaged schema relative to `dir`. */
export function schemaComment(kind: SchemaKind, dir: string): string {
  const rel = path.relative(path.resolve(dir), packagedSchemaPath(kind)).split(path.sep).join('/')
  return `# yaml-language-server: $schema=${rel}`
}
