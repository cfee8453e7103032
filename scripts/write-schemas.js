// Writes the manifest kinds' JSON Schemas (schemas/secret-backend.schema.json, schemas/secret.schema.json)
// from the backend kinds' and value sources' fragments, as composed by src/manifests/manifest-schemas.ts,
// so the schema editors read is the one the loader validates with. Run by `npm run build`, after tsc.
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {secretBackendSchema, secretSchema} from '../dist/src/manifests/manifest-schemas.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
for (const [file, schema] of [
  ['secret-backend.schema.json', secretBackendSchema()],
  ['secret.schema.json', secretSchema()],
]) {
  writeFileSync(path.join(root, 'schemas', file), `${JSON.stringify(schema, null, 2)}\n`)
}
console.log('schemas: secret-backend.schema.json, secret.schema.json written')
