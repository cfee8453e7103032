// Writes dist/src/manifests/manifest-validators.js: the manifest kinds' validators precompiled by ajv
// (src/manifests/validator-code.ts), imported by the loader instead of compiling the schemas at every run.
// Run by `npm run build`, after tsc and write-schemas.js.
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {manifestValidatorsCode} from '../dist/src/manifests/validator-code.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
writeFileSync(path.join(root, 'dist/src/manifests/manifest-validators.js'), manifestValidatorsCode())
console.log('validators: dist/src/manifests/manifest-validators.js written')
