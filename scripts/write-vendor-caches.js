// Writes the V8 code caches of dist/bundle/vendor/ (scripts/vendor-loader.js) by running the built CLI as a user's
// first runs do — apply, plan, exec — on a two-secret plaintext project in a temporary directory, each run
// starting from the cache the one before wrote, so the caches hold the code those commands compile. The last
// step of `npm run build`. The values are random bytes made here; the directory is removed.
import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const hook = path.join(root, 'scripts/vendor-cache-hook.js')
const dir = mkdtempSync(path.join(tmpdir(), 'secretctl-vendor-cache-'))
// Settings of whoever builds must not reach the runs: node flags would make V8 refuse the caches in a plain run.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SECRETCTL_') && k !== 'NODE_OPTIONS'))
try {
  mkdirSync(path.join(dir, 'values'))
  const docs = ['a', 'b'].map((name) => {
    writeFileSync(path.join(dir, 'values', name), randomBytes(24).toString('base64url'), {mode: 0o600})
    return `kind: Secret\nname: ${name}\ndata:\n  API_KEY: { fromFile: values/${name} }\n`
  })
  writeFileSync(path.join(dir, 'secrets.yaml'), docs.join('---\n'))
  const runs = [
    ['apply', '--auto-approve', '-d', dir],
    ['plan', '--detailed-exitcode', '-d', dir],
    ['exec', '-d', dir, '--secret', 'a', '--', process.execPath, '-e', '0'],
  ]
  for (const args of runs) {
    execFileSync(process.execPath, ['--import', hook, path.join(root, 'bin/run.js'), ...args], {cwd: dir, env, stdio: 'ignore'})
  }
} finally {
  rmSync(dir, {recursive: true, force: true})
}
const caches = readdirSync(path.join(root, 'dist/bundle/vendor')).filter((f) => f.endsWith('.cache'))
console.log(`vendor code caches: ${caches.length} (dist/bundle/vendor/)`)
