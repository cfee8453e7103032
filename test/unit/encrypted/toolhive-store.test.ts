import {createCipheriv, createHash} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {decodeToolhiveStore, readToolhiveStore, ToolhiveStoreError} from '../../../src/formats/toolhive-store.js'
import {encodeToolhiveStore, goJson, writeToolhiveFile} from '../../support/toolhive-writer.js'
import {caught, errorText, expectNoCanary} from './helpers.js'

/**
 * The independent check: files built byte by byte from ToolHive's Go source by
 * test/support/toolhive-vector.py with Python's `cryptography` (OpenSSL's Argon2id and AES-GCM)
 * and hashlib, not with anything secretctl uses. What the script reproduces from the Go code:
 *   - encrypted.go writeFileSecrets: json.Marshal(fileStructure{Secrets: map}) -> `{"secrets":{...}}`,
 *     compact, keys sorted, UTF-8 kept, `<` `>` `&` escaped as \u003c \u003e \u0026 (Go's HTML-safe default);
 *   - encodeSecretsHeader: "THVSEC" | 0x01 | salt(16); kdf.go: Argon2id(password, salt, t=2, m=19456, p=1, 32 bytes);
 *   - aes.Encrypt: gcm.Seal(nonce, nonce, plaintext, nil): nonce(12) | ciphertext | tag(16), no associated data;
 *   - the legacy file: the same body under sha256.Sum256(password), no header.
 * Salt = 00..0f, nonces a0..ab (THVSEC) and b0..bb (legacy), password "vector-password-é".
 */
const VECTOR = {
  password: 'vector-password-\u00e9',
  secrets: {
    github: 'CANARY-gh-7f3a<&>',
    db_url: 'CANARY-postgres://u:p@h/db?x=1&y=2',
    greeting: 'CANARY-h\u00e9llo \u2713 "quoted"\nline2',
  },
  thvsec:
    '54485653454301000102030405060708090a0b0c0d0e0fa0a1a2a3a4a5a6a7a8a9aaabbb1496e808a932c9cbdbbc9aa9f40a9d847eaa04cfeb074c979b42' +
    'dc4693fb89fdd4b6f673f0ac7034bfb90e8ad571fd2c697f4352ce742a7d7aa4221897fea45260631627d5772fd946b60e6d1309b6714c6eb9fc589907fd86' +
    '1c9978e884b0682cc39d6df20a6312abce63d46bb11877f5578dba6e844f0a40343e71bb3a58eb44fec77ce49a149b55676ddcca190457e9a30324bc1abe71' +
    '44b559357a2fa19bb445b58df40791534b7c56be',
  legacy:
    'b0b1b2b3b4b5b6b7b8b9babb0cec304f463b88b6e7b15b520dbc793757b7c8d435a65cb3f75eba4a0bbd4022057f9a6b679e5d85ef2b37539f94364a989b59' +
    '00a73c3bc8c92ff4184cb8708045133c29851dfd94bf9e2e00e2d3f25250f2ab0ac1a435eecad45a94fb9676a70c6ec6a1823d66a8009b04a413e87d5ebb53' +
    'c13f49f696e2623768d317217080ae8cbed7f5d223f845c0152d93aa15e179f6ba99553c5ff783f7783f1d38be31f9e5d7cb647ea5b10089df1afc',
}
const SALT = Buffer.from([...Array(16).keys()])
const NONCE_THVSEC = Buffer.from([...Array(12).keys()].map((i) => 0xa0 + i))
const NONCE_LEGACY = Buffer.from([...Array(12).keys()].map((i) => 0xb0 + i))
const CANARIES = [...Object.values(VECTOR.secrets), VECTOR.password, 'CANARY-']

const dir = mkdtempSync(path.join(tmpdir(), 'secretctl-thv-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

async function problemOf(bytes: Buffer, password = VECTOR.password): Promise<ToolhiveStoreError> {
  const err = await caught(() => decodeToolhiveStore(bytes, password, '/home/u/.local/share/toolhive/secrets_encrypted'))
  expect(err).toBeInstanceOf(ToolhiveStoreError)
  expectNoCanary(errorText(err), CANARIES)
  return err as ToolhiveStoreError
}

describe('ToolHive secrets file: independent vectors', () => {
  it('reads the current THVSEC format as ToolHive writes it', async () => {
    const read = await decodeToolhiveStore(Buffer.from(VECTOR.thvsec, 'hex'), VECTOR.password, 'f')
    expect(read).toEqual({format: 'thvsec-v1', secrets: VECTOR.secrets})
  })

  it('reads the legacy format (SHA-256 of the password, no header)', async () => {
    const read = await decodeToolhiveStore(Buffer.from(VECTOR.legacy, 'hex'), VECTOR.password, 'f')
    expect(read).toEqual({format: 'legacy', secrets: VECTOR.secrets})
  })

  it('the test writer, given the same salt and nonces, produces the same bytes as the independent script', async () => {
    expect(
      (await encodeToolhiveStore(VECTOR.secrets, VECTOR.password, {format: 'thvsec', salt: SALT, nonce: NONCE_THVSEC})).toString('hex'),
    ).toBe(VECTOR.thvsec)
    expect((await encodeToolhiveStore(VECTOR.secrets, VECTOR.password, {format: 'legacy', nonce: NONCE_LEGACY})).toString('hex')).toBe(
      VECTOR.legacy,
    )
  })
})

describe('ToolHive secrets file: files written by the test writer', () => {
  it.each(['thvsec', 'legacy'] as const)('reads a %s file from disk, with random salt and nonce', async (format) => {
    const file = path.join(dir, `secrets_encrypted_${format}`)
    const secrets = {'my-api-key': 'CANARY-api', 'with space': 'CANARY-2', empty: ''}
    await writeToolhiveFile(file, secrets, 'pw \u2603', {format})
    expect(await readToolhiveStore(file, 'pw \u2603')).toEqual({format: format === 'thvsec' ? 'thvsec-v1' : 'legacy', secrets})
  })

  it('an empty file is an empty store (as ToolHive reads it); {"secrets":null} is too', async () => {
    expect(await decodeToolhiveStore(Buffer.alloc(0), 'pw', 'f')).toEqual({format: 'empty', secrets: {}})
    expect(await decodeToolhiveStore(await encodeToolhiveStore(null, 'pw', {format: 'thvsec'}), 'pw', 'f')).toEqual({
      format: 'thvsec-v1',
      secrets: {},
    })
  })

  it('a missing file is unreadable, naming it', async () => {
    const err = await caught(() => readToolhiveStore(path.join(dir, 'nope'), 'pw'))
    expect(err).toBeInstanceOf(ToolhiveStoreError)
    expect((err as ToolhiveStoreError).problem).toBe('unreadable')
    expect(err.message).toBe(`ToolHive secrets file ${path.join(dir, 'nope')}: cannot read it (ENOENT)`)
  })
})

describe('ToolHive secrets file: wrong password and damage, told apart as far as the format allows', () => {
  const thvsec = Buffer.from(VECTOR.thvsec, 'hex')
  const legacy = Buffer.from(VECTOR.legacy, 'hex')
  const F = '/home/u/.local/share/toolhive/secrets_encrypted'

  it('a wrong password (THVSEC): cannot be decrypted, wrong password or altered', async () => {
    const err = await problemOf(thvsec, 'not the password')
    expect(err.problem).toBe('wrong-password-or-altered')
    expect(err.message).toBe(
      `ToolHive secrets file ${F}: THVSEC version 1: cannot be decrypted: wrong password, or the file was altered or truncated`,
    )
    expect(err.hint).toContain('TOOLHIVE_SECRETS_PASSWORD')
  })

  it('a wrong password (legacy): the same, and it may not be a ToolHive file at all', async () => {
    const err = await problemOf(legacy, 'not the password')
    expect(err.problem).toBe('wrong-password-or-altered')
    expect(err.message).toContain(
      'legacy format (no THVSEC header): cannot be decrypted: wrong password, or the file was altered or truncated, or it is not',
    )
  })

  it('an altered ciphertext byte, tag or salt reads like a wrong password (GCM cannot tell them apart; the header is not authenticated)', async () => {
    for (const index of [40, thvsec.length - 1, 10]) {
      const bad = Buffer.from(thvsec)
      bad[index]! ^= 0x01
      expect((await problemOf(bad)).problem).toBe('wrong-password-or-altered')
    }
  })

  it('a truncated header or body is "truncated", not a wrong password', async () => {
    const header = await problemOf(thvsec.subarray(0, 12))
    expect(header.problem).toBe('truncated')
    expect(header.message).toBe(`ToolHive secrets file ${F}: truncated: the THVSEC header needs 23 bytes, the file has 12`)
    const body = await problemOf(thvsec.subarray(0, 23 + 20))
    expect(body.problem).toBe('truncated')
    expect(body.message).toContain('THVSEC version 1: truncated (20 bytes of ciphertext, at least 28 needed)')
    expect((await problemOf(legacy.subarray(0, 27))).problem).toBe('truncated')
  })

  it('a cut-off file long enough to hold a tag reads like a wrong password (the format has no length field)', async () => {
    expect((await problemOf(thvsec.subarray(0, thvsec.length - 30))).problem).toBe('wrong-password-or-altered')
  })

  it('an unknown version byte asks for a newer secretctl', async () => {
    const v2 = await encodeToolhiveStore({a: 'CANARY-x'}, 'pw', {format: 'thvsec', version: 2})
    const err = await problemOf(v2, 'pw')
    expect(err.problem).toBe('unsupported-version')
    expect(err.message).toBe(`ToolHive secrets file ${F}: format version 2; this secretctl reads version 1`)
  })

  it('content that decrypts but is not {"secrets": {name: string}} is malformed, quoting nothing', async () => {
    const legacyWith = (plaintext: string) => {
      const nonce = Buffer.alloc(12, 7)
      const cipher = createCipheriv('aes-256-gcm', createHash('sha256').update('pw').digest(), nonce)
      return Buffer.concat([nonce, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()])
    }
    const cases: Array<[string, string]> = [
      ['CANARY-not json', 'decrypts, but its content is not JSON'],
      ['["CANARY-x"]', 'decrypts, but its content is not {"secrets": {...}}'],
      ['{"secrets":["CANARY-x"]}', 'decrypts, but "secrets" is not an object'],
      ['{"secrets":{"a":{"v":"CANARY-x"}}}', 'decrypts, but secret a is not a string'],
    ]
    for (const [plaintext, message] of cases) {
      const err = await problemOf(legacyWith(plaintext), 'pw')
      expect(err.problem).toBe('malformed')
      expect(err.message).toBe(`ToolHive secrets file ${F}: ${message}`)
    }
  })

  it('goJson escapes as Go does', () => {
    expect(goJson({b: '<&>', a: '\u2028'}).toString('utf8')).toBe('{"secrets":{"a":"\\u2028","b":"\\u003c\\u0026\\u003e"}}')
  })
})
