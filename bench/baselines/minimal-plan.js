/**
 * Baseline (d): the least work a `plan` with nothing to do must do, written plainly with only
 * `yaml`, `sqlite3` (the driver secretctl's state uses, through knex) and `node:crypto`, and none
 * of secretctl's code: parse every manifest (`*.yaml` / `*.yml` under DIR) with `yaml`, read each
 * key's value file, HMAC-SHA-256 it with the state's salt (the state's fingerprint: `KEY\0VALUE`),
 * read the state's secrets rows and compare. `plan` of the same directory ÷ this = the fixed cost
 * of a run (target ≤ 1.5 at N = 100, issue 18). Understands the benchmark's manifests only
 * (`data.KEY.fromFile`, the default plaintext backend).
 *
 * usage: node bench/baselines/minimal-plan.js DIR
 * prints {"secrets": N, "changes": 0}
 */
import {createHmac} from 'node:crypto'
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import sqlite3 from 'sqlite3'
import {parseAllDocuments} from 'yaml'

const dir = path.resolve(process.argv[2] ?? '.')
const db = new sqlite3.Database(path.join(dir, '.secretctl/state.db'), sqlite3.OPEN_READONLY)
const all = (sql) => new Promise((resolve, reject) => db.all(sql, (err, rows) => (err ? reject(err) : resolve(rows))))

const files = readdirSync(dir, {recursive: true, withFileTypes: true})
  .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name) && !e.parentPath.includes('.secretctl'))
  .map((e) => path.join(e.parentPath, e.name))
const [[{salt}], rows] = await Promise.all([all('select salt from state_meta'), all('select name, keys from secrets')])
const recorded = new Map(rows.map((r) => [r.name, JSON.parse(r.keys)]))
const key = Buffer.from(salt, 'hex')
let secrets = 0
let changes = 0
for (const file of files) {
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const m = doc.toJS()
    if (String(m?.kind).toLowerCase() !== 'secret') continue
    secrets++
    const have = recorded.get(m.name)
    for (const [k, source] of Object.entries(m.data ?? {})) {
      if (!source.fromFile) continue
      const value = readFileSync(path.resolve(path.dirname(file), source.fromFile), 'utf8')
      const fingerprint = createHmac('sha256', key).update(`${k}\0${value}`, 'utf8').digest('hex')
      if (have?.[k]?.fingerprint !== fingerprint) changes++
    }
  }
}
db.close()
process.stdout.write(`${JSON.stringify({secrets, changes})}\n`)
