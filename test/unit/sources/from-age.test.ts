import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {armor, Encrypter, generateX25519Identity, identityToRecipient} from 'age-encryption'
import {describe, expect, it} from 'vitest'
import {AGE_FIXTURES, haveAgeCli, tempDir} from '../formats/format-fixtures.js'
import {expectClean, resolveProblems, resolveSecret, tree} from './source-fixtures.js'

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex')
const CERT = 'CANARY-age-cert-----BEGIN CERTIFICATE-----\nMIIB…\n-----END CERTIFICATE-----\n'
const manifest = (file: string) => `kind: Secret\nname: tls\ndata:\n  tls.crt: {fromAge: ${file}}\n`

async function encrypt(plaintext: string | Uint8Array, recipient: string): Promise<Uint8Array> {
  const e = new Encrypter()
  e.addRecipient(recipient)
  return e.encrypt(plaintext)
}

describe('fromAge', () => {
  it.skipIf(!haveAgeCli)(
    'reads files made by the age command-line tool, binary and armored, with AGE_IDENTITY_FILE or SOPS_AGE_KEY',
    async () => {
      const work = tempDir('secretctl-age-cli-')
      execFileSync('age-keygen', ['-o', path.join(work, 'key.txt')], {stdio: 'pipe'})
      const identity = readFileSync(path.join(work, 'key.txt'), 'utf8')
        .split('\n')
        .find((l) => l.startsWith('AGE-SECRET-KEY-')) as string
      writeFileSync(path.join(work, 'tls.crt'), CERT)
      const recipient = await identityToRecipient(identity)
      execFileSync('age', ['-r', recipient, '-o', path.join(work, 'tls.crt.age'), path.join(work, 'tls.crt')])
      execFileSync('age', ['-a', '-r', recipient, '-o', path.join(work, 'tls.crt.asc'), path.join(work, 'tls.crt')])
      for (const name of ['tls.crt.age', 'tls.crt.asc']) {
        const bytes = readFileSync(path.join(work, name))
        const dir = tree({[`certs/${name}`]: bytes, 'tls.yaml': manifest(`certs/${name}`)})
        for (const env of [{AGE_IDENTITY_FILE: path.join(work, 'key.txt')}, {SOPS_AGE_KEY: identity}]) {
          const values = await resolveSecret(dir, 'tls', {env})
          expect(values['tls.crt'], name).toEqual({source: 'age', value: CERT, cipherDigest: sha256(bytes)})
        }
      }
    },
  )

  it('reads the age file the Go age library wrote through SOPS (getsops/sops keysource test vector)', async () => {
    const dir = tree({
      'k.age': readFileSync(path.join(AGE_FIXTURES, 'sops-keysource-test.age')),
      'tls.yaml': manifest('k.age'),
    })
    const values = await resolveSecret(dir, 'tls', {env: {AGE_IDENTITY_FILE: path.join(AGE_FIXTURES, 'sops-keysource-test.key')}})
    expect(values['tls.crt']?.value).toBe('data')
  })

  it('no key and wrong key: errors at the manifest field naming the file and its stanzas; allowUndecryptable: unknown with the file digest', async () => {
    const id = await generateX25519Identity()
    const bytes = await encrypt(CERT, await identityToRecipient(id))
    const dir = tree({'certs/tls.crt.age': bytes, 'tls.yaml': manifest('certs/tls.crt.age')})
    const none = await resolveProblems(dir)
    expect(none).toEqual([expect.objectContaining({file: 'tls.yaml', line: 4, field: 'data.tls.crt.fromAge'})])
    expect(none[0]?.message).toMatch(
      /^secret tls, key tls\.crt: cannot decrypt certs\/tls\.crt\.age: no age identity found to open the age file, which has 1 recipient stanza: X25519/,
    )
    expect(none[0]?.message).toContain('AGE_IDENTITY_FILE (not set)')
    const other = await generateX25519Identity()
    const wrong = await resolveProblems(dir, {env: {SOPS_AGE_KEY: other}})
    expect(wrong[0]?.message).toContain(
      `none of the 1 age identity found (recipients ${await identityToRecipient(other)}) opens the age file`,
    )
    expectClean([...none, ...wrong], [CERT.slice(0, 20), id, other])
    const values = await resolveSecret(dir, 'tls', {allowUndecryptable: true})
    expect(values['tls.crt']).toMatchObject({source: 'age', unknown: {cipherDigest: sha256(bytes), file: 'certs/tls.crt.age'}})
  })

  it('a truncated file, a passphrase file, text that is not UTF-8 and a file that is not age are errors, even with allowUndecryptable', async () => {
    const id = await generateX25519Identity()
    const recipient = await identityToRecipient(id)
    const whole = await encrypt(CERT.repeat(2000), recipient)
    const scrypt = new Encrypter()
    scrypt.setPassphrase('pass')
    scrypt.setScryptWorkFactor(4)
    const cases: Array<[string, Uint8Array | string, RegExp]> = [
      ['truncated', whole.subarray(0, whole.length - 100), /the age file is truncated or damaged: its payload fails authentication$/],
      ['armor broken', armor.encode(whole).replace('-----END AGE ENCRYPTED FILE-----', ''), /has broken ASCII armor/],
      ['passphrase', await scrypt.encrypt('x'), /is encrypted with a passphrase \(scrypt\)/],
      ['binary plaintext', await encrypt(new Uint8Array([0xff, 0xfe, 0x00]), recipient), /decrypts to bytes that are not UTF-8 text/],
      ['not age', 'hello', /is not an age file/],
    ]
    for (const [what, content, message] of cases) {
      const dir = tree({'f.age': content, 'tls.yaml': manifest('f.age')})
      const problems = await resolveProblems(dir, {env: {SOPS_AGE_KEY: id}, allowUndecryptable: true})
      expect(problems, what).toHaveLength(1)
      expect(problems[0], what).toMatchObject({file: 'tls.yaml', line: 4, field: 'data.tls.crt.fromAge'})
      expect(problems[0]?.message, what).toMatch(/^secret tls, key tls\.crt: f\.age: /)
      expect(problems[0]?.message, what).toMatch(message)
    }
  })

  it('refuses a missing file and one outside the manifests directory, as fromFile does', async () => {
    const dir = tree({'tls.yaml': manifest('nope.age')})
    expect((await resolveProblems(dir))[0]?.message).toBe('secret tls, key tls.crt: fromAge nope.age does not exist')
    const outside = tree({'x.age': 'x'})
    const away = tree({'tls.yaml': manifest(path.join(outside, 'x.age'))})
    expect((await resolveProblems(away))[0]?.message).toMatch(/fromAge .*x\.age is outside the manifests directory/)
  })
})
