/**
 * Baseline (c): what any plan has to do at least, as a process — parse and validate the manifests
 * (`loadManifests`) and read the state (open the SQLite state, its meta, `listBackends()`,
 * `listSecrets()`) — using the built engine in dist/. `plan` ÷ this = plan overhead.
 *
 * usage: node bench/baselines/read-state.js DIR
 */
import {loadManifests} from '../../dist/src/manifests/load-manifests.js'
import {openState} from '../../dist/src/state/open-state.js'

const dir = process.argv[2]
if (!dir) {
  process.stderr.write('usage: read-state.js DIR\n')
  process.exit(2)
}
const desired = await loadManifests(dir)
const state = await openState({dir, access: 'read'})
try {
  const [meta, backends, secrets] = await Promise.all([state.meta(), state.listBackends(), state.listSecrets()])
  process.stdout.write(
    `${JSON.stringify({manifestSecrets: desired.secrets.length, serial: meta.serial, backends: backends.length, secrets: secrets.length})}\n`,
  )
} finally {
  await state.close()
}
