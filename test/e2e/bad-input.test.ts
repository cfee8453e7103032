/**
 * Bad input: each case exits 1 with a message naming the file, line and field (or the thing that
 * is refused), and leaves the state database byte-for-byte as it was.
 */
import {describe, it, expect, beforeAll} from 'vitest'
import {chmodSync, cpSync} from 'node:fs'
import path from 'node:path'
import {secretctl, tempProject, writeFiles, canary, stateBytes, assertAuditClean} from './support/cli.js'
import {plaintextBackend, envSecret, docs} from './support/manifests.js'

const env = {V1: canary('v1'), V2: canary('v2')}
const literal = canary('literal')
let base: string

beforeAll(async () => {
  // One converged project: a second backend `other` holding secret `b`, secret `a` on default.
  base = tempProject({
    'b.yaml': plaintextBackend('other'),
    's.yaml': docs(envSecret('a', {A: 'V1'}), envSecret('b', {B: 'V2'}, {backend: 'other'})),
  })
  const r = await secretctl(['apply', '--auto-approve'], {cwd: base, env})
  expect(r.exitCode).toBe(0)
})

interface Case {
  name: string
  files: Record<string, string>
  args?: string[]
  env?: Record<string, string>
  /** Every pattern must appear in stderr. */
  expect: RegExp[]
}

const cases: Case[] = [
  {name: 'broken YAML', files: {'s.yaml': 'kind: Secret\nname: [a\n'}, expect: [/s\.yaml:\d+:\d+/]},
  {
    name: 'schema violation',
    files: {'s.yaml': docs(envSecret('a', {A: 'V1'}) + 'keepSource: maybe\n', envSecret('b', {B: 'V2'}, {backend: 'other'}))},
    expect: [/s\.yaml:5:\d+/, /keepSource/],
  },
  {
    name: 'unknown field',
    files: {'s.yaml': docs(envSecret('a', {A: 'V1'}) + 'colour: blue\n', envSecret('b', {B: 'V2'}, {backend: 'other'}))},
    expect: [/s\.yaml:5:\d+/, /colour/],
  },
  {
    name: 'duplicate name',
    files: {'dup.yaml': envSecret('a', {A: 'V1'})},
    expect: [/dup\.yaml:1:\d+|s\.yaml:\d+:\d+/, /duplicate|already/i, /\ba\b/],
  },
  {
    name: 'two defaults',
    files: {'b.yaml': docs(plaintextBackend('other', 'isDefault: true\n'), plaintextBackend('third', 'isDefault: true\n'))},
    expect: [/b\.yaml:\d+:\d+/, /isDefault/],
  },
  {
    name: 'dangling backend reference',
    files: {'s.yaml': docs(envSecret('a', {A: 'V1'}, {backend: 'nowhere'}), envSecret('b', {B: 'V2'}, {backend: 'other'}))},
    expect: [/s\.yaml:3:\d+/, /backend/, /nowhere/],
  },
  {name: 'missing env var', files: {}, env: {V1: env.V1}, expect: [/s\.yaml:\d+:\d+/, /V2/, /secret b/]},
  {
    name: 'missing file',
    files: {'f.yaml': 'kind: Secret\nname: cert\ndata:\n  PEM: { fromFile: certs/missing.pem }\n'},
    expect: [/f\.yaml:4:\d+/, /data\.PEM\.fromFile/, /missing\.pem/],
  },
  {
    name: 'literal value',
    files: {'f.yaml': `kind: Secret\nname: lit\ndata:\n  TOKEN: ${literal}\n`},
    expect: [/f\.yaml:4:\d+/, /data\.TOKEN/, /literal/i],
  },
  {
    name: 'placement-only secret that does not exist',
    files: {'f.yaml': 'kind: Secret\nname: ghost\nbackend: other\n'},
    expect: [/f\.yaml:1:\d+/, /ghost/, /placement-only/],
  },
  {
    name: 'deleting default (redeclaring the trust root as another type)',
    files: {
      'f.yaml':
        'kind: SecretBackend\nname: default\ntype: openbao\nconfig:\n  url: http://127.0.0.1:1\n  tokenSecretRef: { name: a, key: A }\n',
    },
    expect: [/f\.yaml:\d+:\d+/, /default/],
  },
  {
    name: 'deleting a backend in use',
    files: {'b.yaml': '# other removed\n', 's.yaml': envSecret('a', {A: 'V1'})},
    args: ['apply', '--auto-approve', '--prune', '--target', 'backend.other'],
    expect: [/cannot delete backend other/, /\bb\b/],
  },
]

describe('bad input exits 1, names the place, changes nothing', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const dir = tempProject()
      cpSync(base, dir, {recursive: true})
      writeFiles(dir, c.files)
      const before = stateBytes(dir)
      expect(before).not.toBeNull()
      const planArgs = c.args ? ['plan', ...c.args.filter((a) => a !== 'apply' && a !== '--auto-approve')] : ['plan']
      for (const args of [c.args ?? ['apply', '--auto-approve'], planArgs]) {
        const r = await secretctl(args, {cwd: dir, env: c.env ?? env})
        expect(r.exitCode, r.stderr).toBe(1)
        for (const pattern of c.expect) expect(r.stderr).toMatch(pattern)
        expect(stateBytes(dir)!.equals(before!)).toBe(true)
      }
      await assertAuditClean(dir)
    })
  }
})

describe('a value file that cannot be read', () => {
  it('exits 1 naming the file, line and field, never its content, and changes nothing', async () => {
    const dir = tempProject()
    cpSync(base, dir, {recursive: true})
    // The file's content is a canary: secretctl() fails the test if it reaches stdout or stderr.
    writeFiles(dir, {
      'f.yaml': 'kind: Secret\nname: cert\ndata:\n  PEM: { fromFile: certs/key.pem }\n',
      'certs/key.pem': canary('unreadable'),
    })
    chmodSync(path.join(dir, 'certs/key.pem'), 0o000)
    const before = stateBytes(dir)
    for (const args of [['plan'], ['apply', '--auto-approve']]) {
      const r = await secretctl(args, {cwd: dir, env, fileModesHold: true})
      expect(r.exitCode, r.stderr).toBe(1)
      expect(r.stderr).toMatch(/f\.yaml:4:\d+/)
      expect(r.stderr).toContain('secret cert, key PEM: file certs/key.pem cannot be read (permission denied)')
      expect(stateBytes(dir)!.equals(before!)).toBe(true)
    }
    await assertAuditClean(dir)
  })
})
