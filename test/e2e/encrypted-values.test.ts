/**
 * Values committed encrypted, end to end with the built CLI: a SOPS file sops itself wrote (a
 * fluxcd test vector) and one from the test writer, an age file made by the real `age` CLI, and a
 * `.env.production` encrypted by the real @dotenvx/dotenvx CLI are applied and converge; a plan
 * without the keys fails naming every source, or with --allow-undecryptable plans from the
 * ciphertexts (a re-encrypted file is a possible change); a tampered MAC is an error naming the
 * file. The decrypted values and the private keys are canaries: no output, plan file or
 * non-value column of the state may hold them.
 */
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {identityToRecipient} from 'age-encryption'
import {parse} from 'dotenv'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {writeSops} from '../support/sops-writer.js'
import {haveAgeCli, runDotenvx, SOPS_FIXTURES} from '../unit/formats/format-fixtures.js'
import {assertAuditClean, assertNoCanary, canary, plant, queryState, rowData, secretctl, tempProject, writeFiles} from './support/cli.js'

const MANIFEST = [
  'kind: Secret',
  'name: app',
  'data:',
  '  DB_PASSWORD: {fromSops: {file: secrets/app.enc.yaml, key: db.password}}',
  '  FLUX: {fromSops: {file: secrets/flux.enc.yaml, key: stringData.secret}}',
  '  TLS_CRT: {fromAge: certs/tls.crt.age}',
  '  API: {fromEnvFile: {file: env/.env.production, key: API_TOKEN}}',
  '---',
  'kind: Secret',
  'name: app-sops',
  'sopsFile: secrets/app.enc.yaml',
  '---',
  'kind: Secret',
  'name: app-env',
  'envFile: env/.env.production',
  '',
].join('\n')

describe.skipIf(!haveAgeCli)('encrypted values: SOPS, age and dotenvx files in the repository', () => {
  const values = {
    dbPassword: canary('sops_db'),
    apiKey: canary('sops_api'),
    cert: `${canary('age_cert')}\n`,
    dxPassword: canary('dx_db'),
    dxToken: canary('dx_token'),
  }
  const flux = {key: plant(readFileSync(path.join(SOPS_FIXTURES, 'flux-age.txt'), 'utf8').match(/AGE-SECRET-KEY-\S+/)?.[0] as string)}
  plant('my-sops-age-secret')
  let dir: string
  let keysDir: string
  let identity: string
  let dxKeys: string
  let withKeys: Record<string, string | undefined>
  let withoutKeys: Record<string, string | undefined>
  const outputs: string[] = []

  const run = async (args: string[], env: Record<string, string | undefined>) => {
    const r = await secretctl(args, {cwd: dir, env})
    outputs.push(r.stdout, r.stderr)
    return r
  }
  const ageEncrypt = (plaintextFile: string, out: string) =>
    execFileSync('age', ['-r', readFileSync(path.join(keysDir, 'recipient'), 'utf8'), '-o', path.join(dir, out), plaintextFile])

  beforeAll(async () => {
    dir = tempProject({'app.yaml': MANIFEST})
    keysDir = mkdtempSync(path.join(tmpdir(), 'secretctl-e2e-keys-'))
    execFileSync('age-keygen', ['-o', path.join(keysDir, 'key.txt')], {stdio: 'pipe'})
    identity = plant(readFileSync(path.join(keysDir, 'key.txt'), 'utf8').match(/AGE-SECRET-KEY-\S+/)?.[0] as string)
    const recipient = await identityToRecipient(identity)
    writeFileSync(path.join(keysDir, 'recipient'), recipient)

    const sops = await writeSops(
      {db: {password: values.dbPassword, port: 5432n}, api_key: values.apiKey, note_unencrypted: 'plain note'},
      {format: 'yaml', recipients: [recipient]},
    )
    writeFiles(dir, {
      'secrets/app.enc.yaml': sops,
      'secrets/flux.enc.yaml': readFileSync(path.join(SOPS_FIXTURES, 'flux-secret.age.yaml'), 'utf8'),
    })

    writeFileSync(path.join(keysDir, 'tls.crt'), values.cert)
    writeFiles(dir, {'certs/.keep': ''})
    ageEncrypt(path.join(keysDir, 'tls.crt'), 'certs/tls.crt.age')

    writeFiles(dir, {'env/.env.production': `DB_PASSWORD="${values.dxPassword}"\nAPI_TOKEN=${values.dxToken}\n`})
    runDotenvx(path.join(dir, 'env'), ['encrypt', '-f', '.env.production'])
    dxKeys = readFileSync(path.join(dir, 'env/.env.keys'), 'utf8')
    rmSync(path.join(dir, 'env/.env.keys')) // never committed; CI has the key in a variable
    const dxKey = plant(parse(dxKeys).DOTENV_PRIVATE_KEY_PRODUCTION as string)

    // No identity anywhere but where a test puts one.
    const noConfig = {
      XDG_CONFIG_HOME: mkdtempSync(path.join(tmpdir(), 'secretctl-e2e-noconfig-')),
      SOPS_AGE_KEY_FILE: undefined,
      AGE_IDENTITY_FILE: undefined,
    }
    withKeys = {...noConfig, SOPS_AGE_KEY: `${identity}\n${flux.key}\n`, DOTENV_PRIVATE_KEY_PRODUCTION: dxKey}
    withoutKeys = {...noConfig, SOPS_AGE_KEY: undefined, DOTENV_PRIVATE_KEY_PRODUCTION: undefined}
  })

  afterAll(async () => {
    for (const text of outputs) assertNoCanary(text, 'an output of the encrypted-values suite')
    await assertAuditClean(dir)
  })

  it('applies the decrypted values and converges', async () => {
    const plan = await run(['plan', '--detailed-exitcode'], withKeys)
    expect(plan.stderr).toBe('')
    expect(plan.exitCode).toBe(2)
    expect(plan.stdout).toContain('+ secret.app  create: new secret on default (4 keys)')
    expect(plan.stdout).toContain('api_key (added), db.password (added), db.port (added), note_unencrypted (added)')
    const apply = await run(['apply', '--auto-approve'], withKeys)
    expect(apply.exitCode).toBe(0)
    expect(await rowData(dir, 'app')).toEqual({
      DB_PASSWORD: values.dbPassword,
      FLUX: 'my-sops-age-secret',
      TLS_CRT: values.cert,
      API: values.dxToken,
    })
    expect(await rowData(dir, 'app-env')).toEqual({DB_PASSWORD: values.dxPassword, API_TOKEN: values.dxToken})
    expect(await rowData(dir, 'app-sops')).toEqual({
      'db.password': values.dbPassword,
      'db.port': '5432',
      api_key: values.apiKey,
      note_unencrypted: 'plain note',
    })
    const again = await run(['plan', '--detailed-exitcode'], withKeys)
    expect(again.exitCode).toBe(0)
    expect(again.stdout).toContain('No changes.')
  })

  it('validate reports each encrypted file: format, recipients, decrypts here, MAC', async () => {
    const v = await run(['validate', '-o', 'json'], withKeys)
    expect(v.exitCode).toBe(0)
    const report = JSON.parse(v.stdout)
    expect(report.valueFiles.map((f: {file: string}) => f.file)).toEqual(['secrets/app.enc.yaml', 'secrets/flux.enc.yaml'])
    expect(report.warnings).toEqual([])
    expect(
      report.encryptedFiles.map((f: {file: string; format: string; decrypts: boolean; integrity: {status: string}}) => [
        f.file,
        f.format,
        f.decrypts,
        f.integrity.status,
      ]),
    ).toEqual([
      ['certs/tls.crt.age', 'age (binary)', true, 'verified'],
      ['env/.env.production', 'dotenvx', true, 'verified'],
      ['secrets/app.enc.yaml', 'SOPS (yaml)', true, 'verified'],
      ['secrets/flux.enc.yaml', 'SOPS (yaml)', true, 'verified'],
    ])
    expect(report.encryptedFiles[2].recipients).toEqual([readFileSync(path.join(keysDir, 'recipient'), 'utf8')])
  })

  it('a plan without the keys exits 1, naming every source it could not decrypt: manifest file:line:field and the value file', async () => {
    const plan = await run(['plan'], withoutKeys)
    expect(plan.exitCode).toBe(1)
    expect(plan.stderr).toMatch(
      /app\.yaml:4:\d+: data\.DB_PASSWORD\.fromSops: secret app, key DB_PASSWORD: cannot decrypt secrets\/app\.enc\.yaml:\d+: no age identity found/,
    )
    expect(plan.stderr).toMatch(/app\.yaml:5:\d+: data\.FLUX\.fromSops: .*cannot decrypt secrets\/flux\.enc\.yaml:7: no age identity found/)
    expect(plan.stderr).toMatch(/app\.yaml:6:\d+: data\.TLS_CRT\.fromAge: .*cannot decrypt certs\/tls\.crt\.age: no age identity found/)
    expect(plan.stderr).toMatch(
      /app\.yaml:7:\d+: data\.API\.fromEnvFile: .*cannot decrypt env\/\.env\.production:\d+: DB_PASSWORD: no dotenvx private key found/,
    )
    expect(plan.stderr).toMatch(/app\.yaml:11:\d+: sopsFile: secret app-sops: cannot decrypt secrets\/app\.enc\.yaml/)
    expect(plan.stderr).toMatch(/app\.yaml:15:\d+: envFile: secret app-env: cannot decrypt env\/\.env\.production/)
    expect(plan.stderr).toContain('--allow-undecryptable')
  })

  it('with --allow-undecryptable an unchanged ciphertext plans no change; the files it could not decrypt are warned about', async () => {
    const plan = await run(['plan', '--allow-undecryptable', '--detailed-exitcode'], withoutKeys)
    expect(plan.exitCode).toBe(0)
    expect(plan.stdout).toContain('No changes.')
    for (const file of ['certs/tls.crt.age', 'env/.env.production', 'secrets/app.enc.yaml', 'secrets/flux.enc.yaml'])
      expect(plan.stdout).toContain(`Warning: could not decrypt ${file}, so `)
  })

  it('a re-encrypted file (same value, new ciphertext) is a possible change without the keys, and a record-only update with them', async () => {
    writeFileSync(path.join(keysDir, 'tls.crt'), values.cert)
    ageEncrypt(path.join(keysDir, 'tls.crt'), 'certs/tls.crt.age')
    const keyless = await run(['plan', '--allow-undecryptable', '--detailed-exitcode', '--out', 'keyless-plan.json'], withoutKeys)
    expect(keyless.exitCode).toBe(2)
    expect(keyless.stdout).toContain('~ secret.app  update: value of TLS_CRT possibly changed: its ciphertext is not the one last applied')
    expect(keyless.stdout).toContain('TLS_CRT (unknown)')
    const saved = readFileSync(path.join(dir, 'keyless-plan.json'), 'utf8')
    assertNoCanary(saved, 'a plan file')
    expect(JSON.parse(saved).undecryptable.map((u: {file: string}) => u.file)).toContain('certs/tls.crt.age')
    const refused = await run(['apply', 'keyless-plan.json'], withKeys)
    expect(refused.exitCode).toBe(1)
    expect(refused.stderr).toContain('the saved plan was made without the keys to decrypt')

    const keyed = await run(['plan'], withKeys)
    expect(keyed.stdout).toContain(
      'TLS_CRT re-encrypted with its value unchanged: the state records the new ciphertext digest (nothing is written to default)',
    )
    expect((await run(['apply', '--auto-approve'], withKeys)).exitCode).toBe(0)
    expect((await run(['plan', '--allow-undecryptable', '--detailed-exitcode'], withoutKeys)).exitCode).toBe(0)
  })

  it('a value changed with dotenvx set: only that key is a possible change without the keys; with them it is a change', async () => {
    const newToken = canary('dx_token_2')
    writeFileSync(path.join(dir, 'env/.env.keys'), dxKeys)
    runDotenvx(path.join(dir, 'env'), ['set', 'API_TOKEN', newToken, '-f', '.env.production'])
    rmSync(path.join(dir, 'env/.env.keys'))
    const keyless = await run(['plan', '--allow-undecryptable'], withoutKeys)
    expect(keyless.stdout).toContain('keys: API (unknown), DB_PASSWORD, FLUX, TLS_CRT')
    expect(keyless.stdout).toContain('keys: API_TOKEN (unknown), DB_PASSWORD\n')
    const keyed = await run(['plan'], withKeys)
    expect(keyed.stdout).toContain('~ secret.app  update: value of API changed')
    expect((await run(['apply', '--auto-approve'], withKeys)).exitCode).toBe(0)
    expect((await rowData(dir, 'app-env'))?.API_TOKEN).toBe(newToken)
  })

  it('a tampered SOPS file is an error naming the file, with or without --allow-undecryptable', async () => {
    const file = path.join(dir, 'secrets/app.enc.yaml')
    const original = readFileSync(file, 'utf8')
    writeFileSync(file, original.replace('note_unencrypted: plain note', 'note_unencrypted: plain nope'))
    try {
      for (const args of [['plan'], ['plan', '--allow-undecryptable'], ['apply', '--auto-approve']]) {
        const r = await run(args, withKeys)
        expect(r.exitCode, args.join(' ')).toBe(1)
        expect(r.stderr, args.join(' ')).toMatch(/secrets\/app\.enc\.yaml:\d+: MAC mismatch: the values do not hash to sops\.mac/)
      }
    } finally {
      writeFileSync(file, original)
    }
  })

  it('the state holds no decrypted value or key outside the value rows of plaintext secrets', async () => {
    const rows = [
      ...(await queryState(dir, 'select name, external_ref, keys, backend_version from secrets')),
      ...(await queryState(dir, 'select * from backends')),
      ...(await queryState(dir, 'select * from audit')),
      ...(await queryState(dir, 'select * from retained_copies')),
    ]
    expect(rows.length).toBeGreaterThan(3)
    assertNoCanary(JSON.stringify(rows), 'the non-value columns of the state')
    const keys = JSON.parse((await queryState<{keys: string}>(dir, "select keys from secrets where name = 'app'"))[0]?.keys as string)
    expect(keys.TLS_CRT).toMatchObject({source: 'age', cipherDigest: expect.stringMatching(/^[0-9a-f]{64}$/)})
  })
})
