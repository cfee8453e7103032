/**
 * The kubernetes backend end to end, with the built CLI and real kubectl: kmcp's walkthrough
 * (staging and production namespaces fed from `.env.staging` / `.env.production`), drift made
 * with kubectl (edit, delete, label removed) shown by plan and repaired by apply, a Secret
 * secretctl did not create refused and then adopted, moves OpenBao → Kubernetes and back under
 * SIGKILL, 403 and 409, `render` piped into `kubectl apply -f -` giving the objects apply writes,
 * External Secrets Operator resources for secrets on OpenBao, and the Role of `rbac print`.
 * Runs against the Kubernetes API test server, or a real cluster (see support/kube.ts). Canary
 * values are planted and searched for in every output of secretctl.
 */
import {describe, it, expect, beforeAll, afterAll} from 'vitest'
import {execa} from 'execa'
import {existsSync, mkdtempSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import YAML from 'yaml'
import {CLI, secretctl, tempProject, writeFiles, canary, queryState, assertNoCanary, assertAuditClean} from './support/cli.js'
import {envSecret, docs} from './support/manifests.js'
import {startKube, kubeBackend, describeKubeTarget, REAL_KUBE, type KubeTarget} from './support/kube.js'
import {startBao, baoBackend, narrowPolicy, type BaoTarget} from './support/bao.js'

let kube: KubeTarget
let bao: BaoTarget
beforeAll(async () => {
  kube = await startKube()
  bao = await startBao()
  console.info(`Kubernetes e2e against ${describeKubeTarget()}`)
})
afterAll(async () => {
  await kube?.close()
  await bao?.close()
})

const b64 = (v: string) => Buffer.from(v, 'utf8').toString('base64')

async function applyOk(dir: string, env: Record<string, string> = {}, extra: string[] = []) {
  const r = await secretctl(['apply', '--auto-approve', ...extra], {cwd: dir, env})
  expect(r.exitCode, r.stdout + r.stderr).toBe(0)
  return r
}

/** secretctl's stdout and stderr, run as a user does, without the canary check (for outputs that must hold values). */
async function secretctlRaw(args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = await execa('node', [CLI, ...args], {cwd, env: {NO_COLOR: '1', SECRETCTL_ACTOR: 'e2e', ...env}, reject: false})
  return {exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr)}
}

describe(`kubernetes backend (${REAL_KUBE ? 'real cluster' : 'test server'})`, () => {
  it("kmcp's walkthrough: staging and production from .env files, apply, kubectl sees the keys, envFrom snippet", async () => {
    const staging = await kube.namespace('staging')
    const production = await kube.namespace('production')
    const values = {
      staging: {GITHUB_TOKEN: canary('gh-staging'), DATABASE_URL: canary('db-staging')},
      production: {GITHUB_TOKEN: canary('gh-production'), DATABASE_URL: canary('db-production')},
    }
    const dotenv = (v: Record<string, string>) =>
      `${Object.entries(v)
        .map(([k, x]) => `${k}=${x}`)
        .join('\n')}\n`
    const dir = tempProject({
      '.env.staging': dotenv(values.staging),
      '.env.production': dotenv(values.production),
      'backends.yaml': docs(kubeBackend('staging', kube.kubeconfig, staging), kubeBackend('production', kube.kubeconfig, production)),
      'secrets.yaml': docs(
        'kind: Secret\nname: my-mcp-server-staging\nbackend: staging\nenvFile: .env.staging\n',
        'kind: Secret\nname: my-mcp-server-production\nbackend: production\nenvFile: .env.production\n',
      ),
    })
    const plan = await secretctl(['plan', '--detailed-exitcode'], {cwd: dir})
    expect(plan.exitCode, plan.stderr).toBe(2)
    expect(plan.stdout).toContain('+ secret.my-mcp-server-staging  create: new secret on staging (2 keys)')
    expect(plan.stdout).toContain('+ secret.my-mcp-server-production  create: new secret on production (2 keys)')
    await applyOk(dir)

    for (const [env, ns] of [
      ['staging', staging],
      ['production', production],
    ] as const) {
      const got = await kube.kubectl(['get', 'secret', `my-mcp-server-${env}`, '-n', ns, '-o', 'json'])
      expect(got.exitCode, got.stderr).toBe(0)
      const secret = JSON.parse(got.stdout)
      expect(Object.keys(secret.data).sort()).toEqual(['DATABASE_URL', 'GITHUB_TOKEN'])
      expect(secret.data.GITHUB_TOKEN).toBe(b64(values[env].GITHUB_TOKEN))
      expect(secret.type).toBe('Opaque')
      expect(secret.metadata.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'secretctl',
        'secretctl.dev/secret': `my-mcp-server-${env}`,
      })
      expect(secret.metadata.annotations['secretctl.dev/fingerprint']).toMatch(/^sha256:[0-9a-f]{64}$/)
      const listed = await kube.kubectl(['get', 'secrets', '-n', ns, '-l', 'app.kubernetes.io/managed-by=secretctl', '-o', 'name'])
      expect(listed.stdout.trim()).toBe(`secret/my-mcp-server-${env}`)
    }

    const snippet = await secretctl(['render', '--consumer-snippet', '--target', 'secret.my-mcp-server-staging'], {cwd: dir})
    expect(snippet.exitCode, snippet.stderr).toBe(0)
    expect(snippet.stdout).toContain(`# secret my-mcp-server-staging: Secret my-mcp-server-staging in namespace ${staging}`)
    expect(YAML.parse(snippet.stdout)).toEqual({
      envFrom: [{secretRef: {name: 'my-mcp-server-staging'}}],
      env: ['DATABASE_URL', 'GITHUB_TOKEN'].map((k) => ({name: k, valueFrom: {secretKeyRef: {name: 'my-mcp-server-staging', key: k}}})),
    })

    kube.testServer?.clearLog()
    const again = await secretctl(['plan', '--detailed-exitcode'], {cwd: dir})
    expect(again.exitCode, again.stdout + again.stderr).toBe(0)
    // Plan read metadata only: no Secret value crossed the wire.
    if (kube.testServer) {
      expect(kube.testServer.log.length).toBeGreaterThan(0)
      expect(kube.testServer.log.filter((e) => e.returnedSecretData)).toEqual([])
    }
    await assertAuditClean(dir)
  })

  it("kmcp's layout with environments: one backend and one secret, --env picks .env.E and the namespace; render --env is kmcp's --dry-run", async () => {
    const namespaces = {staging: await kube.namespace('env-staging'), production: await kube.namespace('env-production')}
    const values = {staging: canary('api-staging'), production: canary('api-production')}
    const dir = tempProject()
    // In the Postgres run, tempProject's secretctl.yaml names the database: each environment gets a schema in it.
    const shared = existsSync(path.join(dir, 'secretctl.yaml')) ? readFileSync(path.join(dir, 'secretctl.yaml'), 'utf8') : ''
    writeFiles(dir, {
      'secretctl.yaml': `${shared}environments:
  staging:
    vars: {namespace: ${namespaces.staging}}
  production:
    vars: {namespace: ${namespaces.production}}
`,
      '.env.example': 'API_KEY=\n',
      '.env.staging': `API_KEY=${values.staging}\n`,
      '.env.production': `API_KEY=${values.production}\n`,
      'backends.yaml': kubeBackend('cluster', kube.kubeconfig, '${vars.namespace}', '  nameTemplate: "{{name}}-${env}"\n'),
      'secrets.yaml': 'kind: Secret\nname: my-mcp-server\nbackend: cluster\nenvFile: .env.${env}\n',
    })
    for (const env of ['staging', 'production'] as const) {
      const dryRun = await secretctlRaw(['render', '--env', env], dir)
      expect(dryRun.exitCode, dryRun.stderr).toBe(0)
      const rendered = YAML.parse(dryRun.stdout)
      expect(rendered.metadata).toMatchObject({name: `my-mcp-server-${env}`, namespace: namespaces[env]})
      expect(rendered.data).toEqual({API_KEY: b64(values[env])})

      const plan = await secretctl(['plan', '--env', env], {cwd: dir})
      expect(plan.exitCode, plan.stderr).toBe(0)
      expect(plan.stdout).toContain(`(environment ${env})`)
      expect(plan.stdout).toContain('+ secret.my-mcp-server  create: new secret on cluster (1 key)')
      await applyOk(dir, {}, ['--env', env])
      const got = await kube.kubectl(['get', 'secret', `my-mcp-server-${env}`, '-n', namespaces[env], '-o', 'json'])
      expect(got.exitCode, got.stderr).toBe(0)
      expect(JSON.parse(got.stdout).data).toEqual({API_KEY: b64(values[env])})
    }
    // Each environment has its own state: production's apply left staging converged and untouched.
    const staging = await secretctl(['plan', '--env', 'staging', '--detailed-exitcode'], {cwd: dir})
    expect(staging.exitCode, staging.stdout + staging.stderr).toBe(0)
    const other = await kube.kubectl(['get', 'secret', 'my-mcp-server-production', '-n', namespaces.staging])
    expect(other.exitCode).not.toBe(0)
  })

  it('drift made with kubectl (edit, delete, ownership label removed) is shown by plan and repaired by apply', async () => {
    const ns = await kube.namespace('drift')
    const env = {V: canary('drift')}
    const dir = tempProject({'b.yaml': kubeBackend('k8s', kube.kubeconfig, ns), 's.yaml': envSecret('app', {TOKEN: 'V'}, {backend: 'k8s'})})
    await applyOk(dir, env)

    const edit = await kube.kubectl([
      'patch',
      'secret',
      'app',
      '-n',
      ns,
      '--type',
      'merge',
      '-p',
      JSON.stringify({data: {TOKEN: b64('edited by hand')}}),
    ])
    expect(edit.exitCode, edit.stderr).toBe(0)
    const plan = await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})
    expect(plan.exitCode, plan.stderr).toBe(2)
    expect(plan.stdout).toMatch(
      /~ secret\.app {2}update: drift: k8s holds version \d+, state recorded \d+; TOKEN changed on k8s outside secretctl: written again from its source/,
    )
    await applyOk(dir, env)
    expect(await kube.secretData(ns, 'app')).toEqual({TOKEN: env.V})

    expect((await kube.kubectl(['delete', 'secret', 'app', '-n', ns])).exitCode).toBe(0)
    const gone = await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})
    expect(gone.exitCode).toBe(2)
    expect(gone.stdout).toMatch(
      /~ secret\.app {2}update: drift: k8s no longer holds this secret \(state recorded version \d+\);.* written again from its sources/,
    )
    await applyOk(dir, env)
    expect(await kube.secretData(ns, 'app')).toEqual({TOKEN: env.V})

    // A label edit alone is drift too: the values are as written, the object is written again.
    expect((await kube.kubectl(['label', 'secret', 'app', '-n', ns, 'extra=1'])).exitCode).toBe(0)
    const relabelled = await secretctl(['plan'], {cwd: dir, env})
    expect(relabelled.stdout).toContain('its values are as secretctl wrote them: written again')
    await applyOk(dir, env)
    expect((await kube.getSecret(ns, 'app')).metadata.labels.extra).toBeUndefined()

    // The ownership label removed: the Secret is no longer secretctl's, and is never overwritten.
    expect((await kube.kubectl(['label', 'secret', 'app', '-n', ns, 'app.kubernetes.io/managed-by-'])).exitCode).toBe(0)
    const taken = await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})
    expect(taken.exitCode).toBe(2)
    expect(taken.stdout).toContain(`refused: k8s holds ${ns}/app, an object secretctl did not create`)
    const refused = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
    expect(refused.exitCode).toBe(1)
    expect((await kube.getSecret(ns, 'app')).metadata.labels['app.kubernetes.io/managed-by']).toBeUndefined()
    await assertAuditClean(dir)
  })

  it('a Secret secretctl did not create is refused (plan says so, apply fails that change only), adopted with adopt: true, never pruned', async () => {
    const ns = await kube.namespace('legacy')
    const theirs = canary('theirs')
    const made = await kube.kubectl(['create', 'secret', 'generic', 'legacy', '-n', ns, `--from-literal=TOKEN=${theirs}`])
    expect(made.exitCode, made.stderr).toBe(0)
    const env = {V: canary('ours'), W: canary('other')}
    const files = (adopt: boolean) => ({
      'b.yaml': kubeBackend('k8s', kube.kubeconfig, ns),
      's.yaml': docs(
        envSecret('legacy', {TOKEN: 'V'}, {backend: 'k8s'}) + (adopt ? 'adopt: true\n' : ''),
        envSecret('fresh', {TOKEN: 'W'}, {backend: 'k8s'}),
      ),
    })
    const dir = tempProject(files(false))
    const plan = await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})
    expect(plan.exitCode, plan.stderr).toBe(2)
    expect(plan.stdout).toContain(
      `+ secret.legacy  create: refused: k8s holds ${ns}/legacy, an object secretctl did not create; it is never overwritten (set adopt: true on the secret to take it over)`,
    )
    expect(plan.stdout).toContain('Warning: secret.legacy: refused:')
    const apply = await secretctl(['apply', '--auto-approve', '--json'], {cwd: dir, env})
    expect(apply.exitCode).toBe(1)
    const outcomes = JSON.parse(apply.stdout).result.changes.map((c: {address: string; outcome: string}) => `${c.address} ${c.outcome}`)
    expect(outcomes).toEqual(['backend.k8s applied', 'secret.fresh applied', 'secret.legacy failed'])
    expect(await kube.secretData(ns, 'legacy')).toEqual({TOKEN: theirs})
    expect(await queryState(dir, "select name from secrets where name = 'legacy'")).toEqual([])

    writeFiles(dir, files(true))
    const adopting = await secretctl(['plan'], {cwd: dir, env})
    expect(adopting.stdout).toContain(`adopts what k8s holds ${ns}/legacy, an object secretctl did not create (adopt: true)`)
    await applyOk(dir, env)
    const adopted = await kube.getSecret(ns, 'legacy')
    expect(adopted.data).toEqual({TOKEN: b64(env.V)})
    expect(adopted.metadata.labels['app.kubernetes.io/managed-by']).toBe('secretctl')

    // Taken back by hand, then dropped from the manifests: prune refuses to delete it.
    expect((await kube.kubectl(['label', 'secret', 'legacy', '-n', ns, 'app.kubernetes.io/managed-by-'])).exitCode).toBe(0)
    writeFiles(dir, {'s.yaml': envSecret('fresh', {TOKEN: 'W'}, {backend: 'k8s'})})
    const prune = await secretctl(['apply', '--auto-approve', '--prune'], {cwd: dir, env})
    expect(prune.exitCode).toBe(1)
    expect(prune.stdout + prune.stderr).toContain('it is never deleted')
    expect(await kube.getSecret(ns, 'legacy')).toBeDefined()
    await assertAuditClean(dir)
  })

  it.skipIf(REAL_KUBE)(
    '403: a token without create fails the write naming verb and namespace; one without get fails the plan (never "missing")',
    async () => {
      const ns = await kube.namespace('rbac')
      const env = {V: canary('rbac')}
      const reader = kube.restrictedToken('ci-reader', [{verbs: ['get', 'list'], resources: ['secrets'], namespaces: [ns]}])
      const dir = tempProject({
        'b.yaml': kubeBackend('k8s', reader.kubeconfig, ns),
        's.yaml': envSecret('app', {TOKEN: 'V'}, {backend: 'k8s'}),
      })
      const plan = await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})
      expect(plan.exitCode, plan.stderr).toBe(2)
      const apply = await secretctl(['apply', '--auto-approve'], {cwd: dir, env})
      expect(apply.exitCode).toBe(1)
      expect(apply.stdout).toContain(`forbidden to create secrets in namespace ${ns} (Secret ${ns}/app)`)
      expect(apply.stdout).toContain('User "ci-reader" cannot create resource "secrets"')
      expect(apply.stdout + apply.stderr).not.toContain(reader.token)

      const blind = kube.restrictedToken('ci-blind', [{verbs: ['list'], resources: ['secrets'], namespaces: [ns]}])
      writeFiles(dir, {'b.yaml': kubeBackend('k8s', blind.kubeconfig, ns)})
      const refused = await secretctl(['plan'], {cwd: dir, env})
      expect(refused.exitCode).toBe(1)
      expect(refused.stderr).toContain(`forbidden to get secrets in namespace ${ns}`)
      expect(refused.stderr).toContain('Hint: `secretctl rbac print --role applier --backend k8s`')
      await assertAuditClean(dir)
    },
  )

  it('409: a Secret changed after the plan was saved fails its update as a check-and-set conflict; the next plan shows the drift', async () => {
    const ns = await kube.namespace('conflict')
    const env = {V: canary('v1')}
    const dir = tempProject({'b.yaml': kubeBackend('k8s', kube.kubeconfig, ns), 's.yaml': envSecret('app', {TOKEN: 'V'}, {backend: 'k8s'})})
    await applyOk(dir, env)
    const env2 = {V: canary('v2')}
    const saved = await secretctl(['plan', '--out', 'plan.json'], {cwd: dir, env: env2})
    expect(saved.exitCode, saved.stderr).toBe(0)
    expect((await kube.kubectl(['annotate', 'secret', 'app', '-n', ns, 'touched=yes'])).exitCode).toBe(0)
    const apply = await secretctl(['apply', 'plan.json'], {cwd: dir, env: env2})
    expect(apply.exitCode).toBe(1)
    expect(apply.stdout).toMatch(
      new RegExp(`Secret ${ns}/app changed on the server since secretctl last wrote it \\(check-and-set expected resourceVersion \\d+\\)`),
    )
    expect(await kube.secretData(ns, 'app')).toEqual({TOKEN: env.V})
    const plan = await secretctl(['plan'], {cwd: dir, env: env2})
    expect(plan.stdout).toMatch(/drift: k8s holds version \d+, state recorded \d+/)
    await applyOk(dir, env2)
    expect(await kube.secretData(ns, 'app')).toEqual({TOKEN: env2.V})
    await assertAuditClean(dir)
  })

  it('render piped into kubectl apply gives the objects apply writes; --out is mode 0600; a terminal is refused', async () => {
    const ns = await kube.namespace('render')
    const env = {A: canary('render-a'), B: canary('render-b'), C: canary('render-c')}
    const backend = kubeBackend(
      'k8s',
      kube.kubeconfig,
      ns,
      '  nameTemplate: "mcp-{{name}}"\n  labels: {team: tools}\n  annotations: {owner: platform}\n',
    )
    const dir = tempProject({
      'b.yaml': backend,
      's.yaml': docs(
        envSecret('github', {GITHUB_TOKEN: 'A', WEBHOOK: 'B'}, {backend: 'k8s'}),
        envSecret('slack', {SLACK_TOKEN: 'C'}, {backend: 'k8s'}),
      ),
    })
    const rendered = await secretctl(['render'], {cwd: dir, env})
    expect(rendered.exitCode, rendered.stderr).toBe(0)
    const objects = YAML.parseAllDocuments(rendered.stdout).map((d) => d.toJS())
    expect(objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      `Secret ${ns}/mcp-github`,
      `Secret ${ns}/mcp-slack`,
    ])
    expect(objects[0].data).toEqual({GITHUB_TOKEN: b64(env.A), WEBHOOK: b64(env.B)})

    const applied = await kube.kubectl(['apply', '-f', '-'], {input: rendered.stdout})
    expect(applied.exitCode, applied.stderr).toBe(0)
    const byKubectl = await Promise.all(['mcp-github', 'mcp-slack'].map((n) => kube.getSecret(ns, n)))
    await applyOk(dir, env)
    const bySecretctl = await Promise.all(['mcp-github', 'mcp-slack'].map((n) => kube.getSecret(ns, n)))
    const shape = (s: any) => {
      const {'kubectl.kubernetes.io/last-applied-configuration': _, ...annotations} = s.metadata.annotations
      return {name: s.metadata.name, namespace: s.metadata.namespace, labels: s.metadata.labels, annotations, type: s.type, data: s.data}
    }
    // Before the first apply there is no state, so no salt for the fingerprint annotation: render leaves
    // it out and apply adds it, taking the Secrets as its own; everything else is what kubectl applied.
    const unsalted = (s: any) => {
      const {'secretctl.dev/fingerprint': fingerprint, ...annotations} = shape(s).annotations
      return {...shape(s), annotations, fingerprint: fingerprint ?? null}
    }
    expect(byKubectl.map(unsalted).map((s) => s.fingerprint)).toEqual([null, null])
    expect(bySecretctl.map(unsalted).map((s) => ({...s, fingerprint: null}))).toEqual(byKubectl.map(unsalted))
    expect(shape(bySecretctl[0]).labels).toEqual({
      team: 'tools',
      'app.kubernetes.io/managed-by': 'secretctl',
      'secretctl.dev/secret': 'github',
      'secretctl.dev/backend': 'k8s',
    })
    const converged = await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})
    expect(converged.exitCode, converged.stdout).toBe(0)
    // With the state, render gives exactly the objects apply wrote: kubectl apply of it changes nothing.
    const again = await secretctl(['render'], {cwd: dir, env})
    expect((await kube.kubectl(['apply', '-f', '-'], {input: again.stdout})).exitCode).toBe(0)
    const reapplied = await Promise.all(['mcp-github', 'mcp-slack'].map((n) => kube.getSecret(ns, n)))
    expect(reapplied.map(shape)).toEqual(bySecretctl.map(shape))
    // kubectl's apply bumped the resourceVersion (its last-applied annotation changed): the plan sees that, and the same data.
    const bumped = await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})
    expect(bumped.exitCode).toBe(2)
    expect(bumped.stdout).toContain('its values are as secretctl wrote them')
    await applyOk(dir, env)
    expect((await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})).exitCode).toBe(0)

    // --out: mode 0600, the same text; -o json: a v1 List; --string-data: values in clear (stdout only).
    const inside = await secretctl(['render', '--out', 'secrets.yaml'], {cwd: dir, env})
    expect(inside.exitCode).toBe(1)
    expect(inside.stderr).toContain('is inside the manifests directory, where the next run would read it as a manifest')
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'render-out-')), 'secrets.yaml')
    writeFileSync(file, 'old\n', {mode: 0o644})
    const out = await secretctl(['render', '--out', file], {cwd: dir, env})
    expect(out.stderr).toContain(`wrote 2 documents to ${file} (mode 0600)`)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(file, 'utf8').trimEnd()).toBe(again.stdout.trimEnd())
    const json = JSON.parse((await secretctl(['render', '-o', 'json', '--target', 'secret.slack'], {cwd: dir, env})).stdout)
    expect(json).toMatchObject({apiVersion: 'v1', kind: 'List', items: [{kind: 'Secret', metadata: {name: 'mcp-slack'}}]})
    const plain = await secretctlRaw(['render', '--string-data', '--target', 'secret.slack'], dir, env)
    expect(YAML.parse(plain.stdout).stringData).toEqual({SLACK_TOKEN: env.C})
    assertNoCanary(plain.stderr, 'stderr of render --string-data')

    // At a terminal (a pseudo-terminal from script(1)), render refuses without --reveal, and prints nothing.
    const tty = await execa('script', ['-qec', `node ${CLI} render`, '/dev/null'], {cwd: dir, env: {...env, NO_COLOR: '1'}, reject: false})
    expect(tty.exitCode).not.toBe(0)
    assertNoCanary(String(tty.stdout), 'render at a terminal')
    expect(String(tty.stdout)).toContain('render prints secret values, and stdout is a terminal')
    await assertAuditClean(dir)
  })

  it('moves OpenBao → Kubernetes and back, one secret at a time, surviving SIGKILL at random points', async () => {
    const ns = await kube.namespace('move')
    await bao.putPolicy(`${bao.prefix}-narrow`, narrowPolicy(bao.prefix))
    const token = await bao.createToken([`${bao.prefix}-narrow`])
    const names = Array.from({length: 20}, (_, i) => `m${String(i).padStart(2, '0')}`)
    const env: Record<string, string> = {BAO_TOKEN: token, ...Object.fromEntries(names.map((n) => [`V_${n}`, canary(`move-${n}`)]))}
    const manifests = (backend: string) => ({
      'b.yaml': docs(baoBackend(bao), kubeBackend('k8s', kube.kubeconfig, ns)),
      's.yaml': docs(envSecret('bao-creds', {token: 'BAO_TOKEN'}), ...names.map((n) => envSecret(n, {VALUE: `V_${n}`}, {backend}))),
    })
    const dir = tempProject(manifests('bao'))
    await applyOk(dir, env)

    /** Every secret's row names a backend that holds its value. */
    const assertHome = async () => {
      const rows = await queryState<{name: string; backend: string}>(
        dir,
        'select s.name, b.name as backend from secrets s join backends b on b.id = s.backend_id',
      )
      const listed = await kube.kubectl(['get', 'secrets', '-n', ns, '-o', 'json'])
      const inKube = new Map(
        (JSON.parse(listed.stdout).items as any[]).map((s) => [
          s.metadata.name,
          Buffer.from(s.data?.VALUE ?? '', 'base64').toString('utf8'),
        ]),
      )
      const placement = new Map<string, string>()
      for (const n of names) {
        const row = rows.find((r) => r.name === n)
        expect(row, n).toBeDefined()
        placement.set(n, row!.backend)
        if (row!.backend === 'k8s') expect(inKube.get(n), n).toBe(env[`V_${n}`])
        else expect(await bao.readSecret(n), n).toEqual({VALUE: env[`V_${n}`]})
      }
      return placement
    }

    writeFiles(dir, manifests('k8s'))
    const t0 = Date.now()
    await applyOk(dir, env)
    const full = Date.now() - t0
    expect([...(await assertHome()).values()].every((b) => b === 'k8s')).toBe(true)

    let interrupted = 0
    const kills = 8
    for (let i = 0; i < kills; i++) {
      const target = i % 2 === 0 ? 'bao' : 'k8s'
      writeFiles(dir, manifests(target))
      const child = execa('node', [CLI, 'apply', '--auto-approve'], {
        cwd: dir,
        env: {...env, NO_COLOR: '1', SECRETCTL_ACTOR: 'e2e'},
        reject: false,
      })
      const timer = setTimeout(() => child.kill('SIGKILL'), Math.round(full * (0.2 + 0.7 * Math.random())))
      const r = await child
      clearTimeout(timer)
      assertNoCanary(String(r.stdout) + String(r.stderr), 'an interrupted apply')
      if (r.signal === 'SIGKILL') interrupted++
      await assertHome()
      for (const lock of await queryState<{lock_id: string}>(dir, 'select lock_id from locks')) {
        expect((await secretctl(['state', 'unlock', lock.lock_id, '--force'], {cwd: dir})).exitCode).toBe(0)
      }
      await applyOk(dir, env)
      expect([...(await assertHome()).values()].every((b) => b === target)).toBe(true)
      const settled = await secretctl(['plan', '--detailed-exitcode'], {cwd: dir, env})
      expect(settled.exitCode, settled.stdout).toBe(0)
      // Nothing left behind: on Kubernetes only the secrets placed there, on OpenBao only those placed there.
      const left = (await kube.kubectl(['get', 'secrets', '-n', ns, '-l', 'app.kubernetes.io/managed-by=secretctl', '-o', 'name'])).stdout
        .trim()
        .split('\n')
        .filter(Boolean)
      expect(left.length).toBe(target === 'k8s' ? names.length : 0)
    }
    expect(interrupted).toBeGreaterThanOrEqual(1)
    await assertAuditClean(dir)
  }, 600_000)

  it('render --external-secrets prints a SecretStore and ExternalSecrets for secrets on OpenBao, with no value', async () => {
    const env = {V: canary('eso'), BAO_TOKEN: 'unused'}
    const dir = tempProject({
      'b.yaml': baoBackend(bao),
      's.yaml': docs(
        envSecret('bao-creds', {token: 'BAO_TOKEN'}),
        envSecret('github', {GITHUB_TOKEN: 'V', WEBHOOK: 'V'}, {backend: 'bao'}),
      ),
    })
    const r = await secretctl(['render', '--external-secrets', '--backend', 'bao'], {cwd: dir, env})
    expect(r.exitCode, r.stderr).toBe(0)
    const [store, external] = YAML.parseAllDocuments(r.stdout).map((d) => d.toJS())
    expect(store).toMatchObject({
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: {name: 'bao'},
      spec: {
        provider: {vault: {server: bao.url, path: 'secret', version: 'v2', auth: {tokenSecretRef: {name: 'bao-eso-token', key: 'token'}}}},
      },
    })
    expect(external).toMatchObject({
      kind: 'ExternalSecret',
      metadata: {name: 'github'},
      spec: {
        secretStoreRef: {name: 'bao', kind: 'SecretStore'},
        target: {name: 'github', creationPolicy: 'Owner'},
        data: [
          {secretKey: 'GITHUB_TOKEN', remoteRef: {key: `${bao.prefix}/github`, property: 'GITHUB_TOKEN'}},
          {secretKey: 'WEBHOOK', remoteRef: {key: `${bao.prefix}/github`, property: 'WEBHOOK'}},
        ],
      },
    })
    const old = await secretctl(['render', '--external-secrets', '--external-secrets-api', 'external-secrets.io/v1beta1'], {cwd: dir, env})
    expect(old.stdout).toContain('apiVersion: external-secrets.io/v1beta1')
    // The Secret manifests themselves are for kubernetes backends only.
    const wrong = await secretctl(['render', '--backend', 'bao'], {cwd: dir, env})
    expect(wrong.exitCode).toBe(1)
    expect(wrong.stderr).toContain('backend bao is openbao; this rendering is for kubernetes backends')
  })

  it('rbac print gives a least-privilege Role and RoleBinding in the backend’s namespace', async () => {
    const dir = tempProject({'b.yaml': kubeBackend('staging', kube.kubeconfig, 'team-a')})
    for (const [role, verbs] of [
      ['applier', ['get', 'list', 'create', 'update', 'delete']],
      ['planner', ['get', 'list']],
    ] as const) {
      const r = await secretctl(['rbac', 'print', '--role', role, '--backend', 'staging'], {cwd: dir})
      expect(r.exitCode, r.stderr).toBe(0)
      const yaml = r.stdout.slice(r.stdout.indexOf('# Kubernetes Role and RoleBinding for backend staging'))
      const [roleDoc, binding] = YAML.parseAllDocuments(yaml).map((d) => d.toJS())
      expect(roleDoc).toMatchObject({
        kind: 'Role',
        metadata: {name: `secretctl-${role}`, namespace: 'team-a'},
        rules: [{apiGroups: [''], resources: ['secrets'], verbs}],
      })
      expect(binding).toMatchObject({kind: 'RoleBinding', roleRef: {kind: 'Role', name: `secretctl-${role}`}})
    }
  })
})
