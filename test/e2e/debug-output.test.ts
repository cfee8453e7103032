/**
 * No debug switch lets a value or a token out. knex logs every statement's bindings under
 * `DEBUG=knex:*` (and so `DEBUG=*`): plaintext values and tokens; those namespaces stay off
 * whatever DEBUG says (src/state/knex-debug.ts). Node's NODE_DEBUG channels (http, net, tls,
 * undici, fetch: request lines, never headers or bodies) are run too, against OpenBao, so a token
 * and values cross HTTP while they are on. Every output is searched for the planted values and
 * the token.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {startBao, baoBackend, narrowPolicy, type BaoTarget} from './support/bao.js'
import {canary, secretctl, tempProject, writeFiles, assertAuditClean} from './support/cli.js'
import {docs, envSecret} from './support/manifests.js'

let bao: BaoTarget
beforeAll(async () => {
  bao = await startBao()
})
afterAll(async () => bao?.close())

const switches: Record<string, string>[] = [
  {DEBUG: 'knex:*'},
  {DEBUG: 'knex:bindings,knex:query,knex:tx,knex:client,knex:pool'},
  {DEBUG: '*'},
  {NODE_DEBUG: 'http,http2,net,tls,undici,fetch'},
  {NODE_DEBUG: 'child_process'},
  {NODE_DEBUG: '*', DEBUG: '*'},
]

describe('debug switches', () => {
  for (const debug of switches) {
    it(`print no value or token: ${Object.entries(debug)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`, async () => {
      await bao.putPolicy(`${bao.prefix}-narrow`, narrowPolicy(bao.prefix))
      const token = await bao.createToken([`${bao.prefix}-narrow`])
      const env = {...debug, BAO_TOKEN: token, ON_BAO: canary('on-bao'), ON_DEFAULT: canary('on-default')}
      const secrets = (onBao: string) =>
        docs(
          envSecret('bao-creds', {token: 'BAO_TOKEN'}),
          envSecret('local', {A: 'ON_DEFAULT'}),
          envSecret(onBao, {A: 'ON_BAO'}, {backend: 'bao'}),
        )
      const dir = tempProject({'b.yaml': baoBackend(bao), 's.yaml': secrets(`remote-${Object.keys(debug).length}`)})
      const outputs: string[] = []
      const run = async (args: string[], extra: Record<string, string> = {}) => {
        const r = await secretctl(args, {cwd: dir, env: {...env, ...extra}})
        expect(r.exitCode, `${args.join(' ')}: ${r.stderr.slice(-2000)}`).toBe(0)
        outputs.push(r.stdout, r.stderr)
        return r
      }
      await run(['apply', '--auto-approve'])
      // An update writes new values through the same statements and requests.
      await run(['apply', '--auto-approve'], {ON_DEFAULT: canary('updated'), ON_BAO: canary('updated-on-bao')})
      await run(['plan'])
      await run(['get', 'secrets'])
      const exec = ['exec', '--secret', 'local', '--secret', `remote-${Object.keys(debug).length}`, '--', 'node', '-e', '']
      if (/child_process|\*/.test(debug.NODE_DEBUG ?? '')) {
        // Node would print the child's environment: exec refuses instead.
        const refused = await secretctl(exec, {cwd: dir, env})
        expect(refused.exitCode).toBe(1)
        expect(refused.stderr).toContain('Error: NODE_DEBUG names child_process')
        outputs.push(refused.stdout, refused.stderr)
      } else await run(exec)
      // Moves read the values back and write them elsewhere.
      writeFiles(dir, {'s.yaml': secrets('local-again').replace('name: local\n', 'name: local\nbackend: bao\n')})
      await run(['apply', '--auto-approve', '--prune'], {ON_DEFAULT: canary('moved')})

      const all = outputs.join('\n')
      expect(all).not.toContain(token)
      // The switch was on: oclif's and Node's debug output did print, knex's did not.
      if (debug.DEBUG === '*' || debug.NODE_DEBUG) expect(all.length).toBeGreaterThan(1000)
      expect(all).not.toMatch(/knex:(bindings|query|tx|client|pool)/)
      await assertAuditClean(dir)
    }, 120_000)
  }
})
