/**
 * `secretctl import` end to end, with the built CLI: an OpenBao folder (the OpenBao test server),
 * Kubernetes Secrets secretctl did not create (the Kubernetes API test server, set up with real
 * kubectl), and a dotenv file. For each: a dry run that changes nothing, the import, `plan
 * --detailed-exitcode` exiting 0 right after, a second import that is a no-op, and a collision
 * with an existing manifest refused with nothing changed. The values stay where they were (KV
 * versions and Secret data unchanged); canary values are searched for in every output and in the
 * audit table. (`import toolhive` is in encrypted.test.ts.)
 */
import {existsSync, readFileSync, readdirSync} from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {assertAuditClean, canary, queryState, secretctl, stateBytes, tempProject, writeFiles} from './support/cli.js'
import {docs, envSecret} from './support/manifests.js'
import {type BaoTarget, startBao} from './support/bao.js'
import {type KubeTarget, kubeBackend, startKube} from './support/kube.js'

let bao: BaoTarget
let kube: KubeTarget
beforeAll(async () => {
  ;[bao, kube] = await Promise.all([startBao(), startKube()])
})
afterAll(async () => {
  await bao?.close()
  await kube?.close()
})

const b64 = (v: string) => Buffer.from(v, 'utf8').toString('base64')

async function ok(args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = await secretctl(args, {cwd, env})
  expect(r.exitCode, r.stdout + r.stderr).toBe(0)
  return r
}

async function converged(cwd: string, env: Record<string, string> = {}) {
  const plan = await secretctl(['plan', '--detailed-exitcode'], {cwd, env})
  expect(plan.exitCode, plan.stdout + plan.stderr).toBe(0)
}

function statuses(stdout: string): string[] {
  return JSON.parse(stdout).secrets.map((s: {from: string; name: string | null; status: string}) => `${s.name ?? s.from} ${s.status}`)
}

describe('import openbao', () => {
  function baoProject(pathPrefix: string, extra: Record<string, string> = {}) {
    const backend = `kind: SecretBackend\nname: bao\ntype: openbao\nconfig:\n  url: ${bao.url}\n  tokenSecretRef: {name: bao-creds, key: token}\n  mount: secret\n  pathPrefix: ${pathPrefix}\n`
    return tempProject({'backends.yaml': docs(backend, envSecret('bao-creds', {token: 'BAO_TOKEN'})), ...extra})
  }
  const put = async (pathPrefix: string, name: string, data: Record<string, string>) => {
    const r = await bao.api('POST', `secret/data/${pathPrefix}/${name}`, {data})
    expect(r.status).toBe(200)
  }
  const version = async (pathPrefix: string, name: string) =>
    (await bao.api('GET', `secret/metadata/${pathPrefix}/${name}`)).body.data.current_version as number

  it('adopts the secrets of the folder where they are: dry run, import, plan converged, second run a no-op', async () => {
    const prefix = `${bao.prefix}-import`
    const env = {BAO_TOKEN: bao.rootToken}
    const values = {
      token: canary('bao-gh'),
      key: `-----BEGIN PRIVATE KEY-----\n${canary('bao-key-line1')}\n${canary('bao-key-line2')}\n-----END PRIVATE KEY-----\n`,
    }
    await put(prefix, 'github', {GITHUB_TOKEN: values.token})
    await put(prefix, 'deploy-key', {KEY: values.key, USER: canary('bao-user')})
    await put(prefix, 'Bad_Name', {X: canary('bao-bad')})
    await put(`${prefix}/team`, 'inner', {Y: canary('bao-inner')})
    const dir = baoProject(prefix)
    await ok(['apply', '--auto-approve'], dir, env)
    const before = stateBytes(dir)

    const dry = await ok(['import', 'openbao', '--backend', 'bao', '--dry-run'], dir, env)
    expect(dry.stdout).toContain(`+ "secret/${prefix}/github" → github (would import; key GITHUB_TOKEN, manifest openbao/github.yaml)`)
    expect(dry.stdout).toContain(`- "secret/${prefix}/Bad_Name" (skipped)`)
    expect(dry.stdout).toContain('rename it on OpenBao (e.g. to bad_name)')
    expect(dry.stdout).toContain(`declare a backend with pathPrefix: ${prefix}/team`)
    expect(dry.stdout).toContain('Dry run: 2 to import, 0 already imported, 2 skipped; nothing changed.')
    expect(stateBytes(dir)?.equals(before as Buffer)).toBe(true)
    expect(existsSync(path.join(dir, 'openbao'))).toBe(false)

    const r = await ok(['import', 'openbao', '--backend', 'bao', '--json'], dir, env)
    expect(statuses(r.stdout)).toEqual([
      'deploy-key imported',
      'github imported',
      `secret/${prefix}/Bad_Name skipped`,
      `secret/${prefix}/team/ skipped`,
    ])
    expect(readdirSync(path.join(dir, 'openbao')).sort()).toEqual(['deploy-key.yaml', 'github.yaml'])
    const manifest = readFileSync(path.join(dir, 'openbao/github.yaml'), 'utf8')
    expect(manifest).toContain('kind: Secret\nname: github\nbackend: bao\n')
    expect(manifest).not.toContain('data:')
    // Nothing was written to OpenBao: the versions are the ones the import found, and recorded.
    expect(await version(prefix, 'github')).toBe(1)
    const rows = await queryState<{name: string; backend_version: string}>(
      dir,
      "select name, backend_version from secrets where name in ('github', 'deploy-key') order by name",
    )
    expect(rows.map((row) => `${row.name}@${row.backend_version}`)).toEqual(['deploy-key@1', 'github@1'])
    await converged(dir, env)

    const again = await ok(['import', 'openbao', '--backend', 'bao', '--json'], dir, env)
    expect(statuses(again.stdout).slice(0, 2)).toEqual(['deploy-key already imported', 'github already imported'])
    await converged(dir, env)
    // The adopted secret is read where it is.
    const seen = await ok(
      ['exec', '--secret', 'github,target=GH', '--', 'node', '-e', 'process.stdout.write(String(process.env.GH.length))'],
      dir,
      env,
    )
    expect(seen.stdout).toBe(String(values.token.length))
    await assertAuditClean(dir)
  })

  it('refuses a name an existing manifest declares, changing nothing', async () => {
    const prefix = `${bao.prefix}-collide`
    const env = {BAO_TOKEN: bao.rootToken, V: canary('bao-mine')}
    await put(prefix, 'github', {GITHUB_TOKEN: canary('bao-theirs')})
    const dir = baoProject(prefix, {'mine.yaml': envSecret('github', {T: 'V'})})
    await ok(['apply', '--auto-approve'], dir, env)
    const before = stateBytes(dir)
    const r = await secretctl(['import', 'openbao', '--backend', 'bao'], {cwd: dir, env})
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toContain('openbao "secret/')
    expect(r.stderr).toContain('secret github is already')
    expect(r.stderr).toContain('nothing was changed')
    expect(stateBytes(dir)?.equals(before as Buffer)).toBe(true)
    expect(existsSync(path.join(dir, 'openbao'))).toBe(false)
  })
})

describe('import kubernetes', () => {
  async function createSecret(ns: string, name: string, data: Record<string, string>, labels: Record<string, string>, type = 'Opaque') {
    const object = {
      apiVersion: 'v1',
      kind: 'Secret',
      type,
      metadata: {name, namespace: ns, labels},
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
    }
    const r = await kube.kubectl(['create', '-f', '-'], {input: JSON.stringify(object)})
    expect(r.exitCode, r.stderr).toBe(0)
  }

  it('adopts Secrets secretctl did not create: marks them its own (data untouched), plan converged, second run a no-op', async () => {
    const ns = await kube.namespace('import')
    const a = {API_KEY: canary('kube-a'), DB_URL: canary('kube-a-db')}
    const b = {TOKEN: canary('kube-b')}
    await createSecret(ns, 'mcp-a', a, {app: 'mcp'})
    await createSecret(ns, 'mcp-b', b, {app: 'mcp'})
    await createSecret(ns, 'other', {X: canary('kube-other')}, {app: 'other'})
    await createSecret(ns, 'mcp-tls', {'tls.crt': canary('kube-crt'), 'tls.key': canary('kube-key')}, {app: 'mcp'}, 'kubernetes.io/tls')
    const dir = tempProject({'b.yaml': kubeBackend('k8s', kube.kubeconfig, ns)})
    await ok(['apply', '--auto-approve'], dir)
    const before = stateBytes(dir)

    const dry = await ok(['import', 'kubernetes', '--backend', 'k8s', '--selector', 'app=mcp', '--dry-run'], dir)
    expect(dry.stdout).toContain(`Would import from kubernetes (k8s: namespace ${ns} (selector app=mcp)) to backend k8s:`)
    expect(dry.stdout).toContain(`+ "${ns}/mcp-a" → mcp-a (would import; keys API_KEY, DB_URL, manifest kubernetes/mcp-a.yaml)`)
    expect(dry.stdout).toContain(`- "${ns}/mcp-tls" (skipped)`)
    expect(stateBytes(dir)?.equals(before as Buffer)).toBe(true)
    expect((await kube.getSecret(ns, 'mcp-a')).metadata.labels).toEqual({app: 'mcp'})

    const wrong = await secretctl(['import', 'kubernetes', '--backend', 'k8s', '--namespace', 'elsewhere'], {cwd: dir})
    expect(wrong.exitCode).toBe(1)
    expect(wrong.stderr).toContain(`backend k8s keeps its Secrets in namespace ${ns}, not elsewhere`)

    const r = await ok(['import', 'kubernetes', '--backend', 'k8s', '--namespace', ns, '--selector', 'app=mcp', '--json'], dir)
    expect(statuses(r.stdout)).toEqual(['mcp-a imported', 'mcp-b imported', `${ns}/mcp-tls skipped`])
    const adopted = await kube.getSecret(ns, 'mcp-a')
    expect(adopted.metadata.labels).toMatchObject({
      app: 'mcp',
      'app.kubernetes.io/managed-by': 'secretctl',
      'secretctl.dev/secret': 'mcp-a',
      'secretctl.dev/backend': 'k8s',
    })
    expect(adopted.metadata.annotations['secretctl.dev/fingerprint']).toMatch(/^sha256:/)
    expect(adopted.data).toEqual({API_KEY: b64(a.API_KEY), DB_URL: b64(a.DB_URL)})
    expect((await kube.getSecret(ns, 'other')).metadata.labels).toEqual({app: 'other'})
    expect(readFileSync(path.join(dir, 'kubernetes/mcp-b.yaml'), 'utf8')).toContain('kind: Secret\nname: mcp-b\nbackend: k8s\n')
    await converged(dir)

    const again = await ok(['import', 'kubernetes', '--backend', 'k8s', '--selector', 'app=mcp', '--json'], dir)
    expect(statuses(again.stdout)).toEqual(['mcp-a already imported', 'mcp-b already imported', `${ns}/mcp-tls skipped`])
    await converged(dir)

    // Adopted means secretctl's: a value set by secretctl is written there, and prune may delete it.
    const fresh = canary('kube-b-new')
    const set = await secretctl(['secret', 'set', 'mcp-b', 'TOKEN'], {cwd: dir, input: fresh})
    expect(set.exitCode, set.stdout + set.stderr).toBe(0)
    expect((await kube.secretData(ns, 'mcp-b'))?.TOKEN).toBe(fresh)
    await converged(dir)
    await assertAuditClean(dir)
  })

  it('refuses a name an existing manifest declares, changing nothing', async () => {
    const ns = await kube.namespace('collide')
    await createSecret(ns, 'taken', {K: canary('kube-taken')}, {app: 'mcp'})
    const dir = tempProject({
      'b.yaml': kubeBackend('k8s', kube.kubeconfig, ns),
      'taken.yaml': 'kind: Secret\nname: taken\nbackend: default\ndata:\n  K: {fromEnv: V}\n',
    })
    await ok(['apply', '--auto-approve'], dir, {V: canary('kube-mine')})
    const before = stateBytes(dir)
    const r = await secretctl(['import', 'kubernetes', '--backend', 'k8s'], {cwd: dir})
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toContain('secret taken is already')
    expect(stateBytes(dir)?.equals(before as Buffer)).toBe(true)
    expect((await kube.getSecret(ns, 'taken')).metadata.labels).toEqual({app: 'mcp'})
  })
})

describe('import envfile', () => {
  it('imports a dotenv file as one secret whose manifest names the file: plan converged, second run a no-op, edits applied as before', async () => {
    const values = {GITHUB_TOKEN: canary('env-gh'), DATABASE_URL: `postgres://app:${canary('env-db')}@db:5432/app`}
    const dotenv = (v: Record<string, string>) =>
      `${Object.entries(v)
        .map(([k, x]) => `${k}=${x}`)
        .join('\n')}\n`
    const dir = tempProject({'config/.env.production': dotenv(values), 'b.yaml': 'kind: SecretBackend\nname: vault\ntype: plaintext\n'})
    await ok(['apply', '--auto-approve'], dir)

    const dry = await ok(['import', 'envfile', 'config/.env.production', '--backend', 'vault', '--dry-run'], dir)
    expect(dry.stdout).toContain(
      '".env.production" → env.production (would import; keys DATABASE_URL, GITHUB_TOKEN, manifest envfile/env.production.yaml)',
    )
    const r = await ok(['import', 'envfile', 'config/.env.production', '--backend', 'vault', '--name', 'app-production', '--json'], dir)
    expect(statuses(r.stdout)).toEqual(['app-production imported'])
    expect(readFileSync(path.join(dir, 'envfile/app-production.yaml'), 'utf8')).toContain(
      'kind: Secret\nname: app-production\nbackend: vault\nenvFile: "../config/.env.production"\n',
    )
    await converged(dir)
    const again = await ok(['import', 'envfile', 'config/.env.production', '--backend', 'vault', '--name', 'app-production', '--json'], dir)
    expect(statuses(again.stdout)).toEqual(['app-production already imported'])
    await converged(dir)

    writeFiles(dir, {'config/.env.production': dotenv({...values, GITHUB_TOKEN: canary('env-gh-new')})})
    const plan = await secretctl(['plan', '--detailed-exitcode'], {cwd: dir})
    expect(plan.exitCode).toBe(2)
    expect(plan.stdout).toContain('value of GITHUB_TOKEN changed')
    await assertAuditClean(dir)
  })

  it('refuses a name already taken and a file outside the manifests directory, changing nothing', async () => {
    const dir = tempProject({'.env.local': `A=${canary('env-a')}\n`, 'taken.yaml': envSecret('taken', {K: 'V'})})
    await ok(['apply', '--auto-approve'], dir, {V: canary('env-taken')})
    const before = stateBytes(dir)
    const taken = await secretctl(['import', 'envfile', '.env.local', '--name', 'taken'], {cwd: dir})
    expect(taken.exitCode).toBe(1)
    expect(taken.stderr).toContain('secret taken is already in the state')
    const outside = tempProject({'.env': `B=${canary('env-b')}\n`})
    const far = await secretctl(['import', 'envfile', path.join(outside, '.env')], {cwd: dir})
    expect(far.exitCode).toBe(1)
    expect(far.stderr).toContain('outside the manifests directory')
    const bad = await secretctl(['import', 'envfile', '.env.local', '--name', 'Not Valid'], {cwd: dir})
    expect(bad.exitCode).toBe(1)
    expect(bad.stderr).toContain('e.g. not-valid')
    expect(stateBytes(dir)?.equals(before as Buffer)).toBe(true)
  })
})
