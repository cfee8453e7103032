/**
 * Baseline (b): the simple migration loop — one secret at a time, each in sequence: read it from
 * the plaintext state, write it to OpenBao, flip the state row (`state.putSecret`, one
 * transaction), delete the source copy — using the built engine in dist/ as a library (the same
 * state store and OpenBao driver secretctl uses; no plan, no audit, no check-and-set, no
 * metadata read). Moves every secret on `default` to the backend named `bao`, writing under
 * PREFIX (so it never collides with secretctl's own move).
 *
 * usage: node bench/baselines/one-at-a-time.js DIR PREFIX
 * prints {"moved": N, "loopMs": …}
 */
import {openState} from '../../dist/src/state/open-state.js'
import {createDriver} from '../../dist/src/backends/registry.js'

const [dir, prefix] = process.argv.slice(2)
if (!dir || !prefix) {
  process.stderr.write('usage: one-at-a-time.js DIR PREFIX\n')
  process.exit(2)
}
const state = await openState({dir, access: 'write'})
try {
  const [source, bao] = await Promise.all([state.getBackend('default'), state.getBackend('bao')])
  if (!source || !bao) throw new Error('the state needs the backends default and bao')
  const readTrustRoot = async ({name, key}) => {
    const data = await state.readRowData(name)
    if (!data?.[key]) throw new Error(`no ${name}.${key} in the state`)
    return data[key]
  }
  const from = await createDriver({backend: source, state, readTrustRoot, concurrency: 1, env: {}})
  const to = await createDriver({
    backend: {...bao, config: {...bao.config, pathPrefix: prefix}},
    state,
    readTrustRoot,
    concurrency: 1,
    env: {},
  })
  const todo = (await state.listSecrets()).filter((s) => s.backend === 'default' && s.name !== 'bao-creds')
  const started = performance.now()
  for (const s of todo) {
    const values = await from.read(s.name)
    if (!values) throw new Error(`no value for ${s.name}`)
    const written = await to.write(s.name, values)
    await state.putSecret({
      name: s.name,
      backend: 'bao',
      externalRef: written.externalRef,
      rowData: null,
      keys: s.keys,
      backendVersion: written.version,
    })
    await from.delete(s.name)
  }
  const loopMs = performance.now() - started
  process.stdout.write(`${JSON.stringify({moved: todo.length, loopMs})}\n`)
} finally {
  await state.close()
}
