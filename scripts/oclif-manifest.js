// Writes oclif.manifest.json so that `secretctl` start-up reads one JSON file instead of importing every command.
// This is what `oclif manifest` does; the oclif CLI package itself is a heavy dev dependency for this one step.
// The bundled commands load @oclif/core, knex and yaml through the vendor loader, as under bin/run.js.
import '../dist/bundle/vendor/loader.js'
import {Plugin} from '@oclif/core/config'
import {writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import path from 'node:path'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const plugin = new Plugin({root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, isRoot: true})
await plugin.load()
writeFileSync(path.join(root, 'oclif.manifest.json'), JSON.stringify(plugin.manifest, null, 2) + '\n')
console.log(`oclif.manifest.json: ${Object.keys(plugin.manifest.commands).length} commands`)
