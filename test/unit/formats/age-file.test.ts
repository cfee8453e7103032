import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {armor, Encrypter, generateX25519Identity, identityToRecipient} from 'age-encryption'
import {describe, expect, it} from 'vitest'
import {decryptAge, describeStanzas} from '../../../src/formats/age-file.js'
import {type AgeIdentitySet, discoverAgeIdentities} from '../../../src/formats/age-identities.js'
import {EncryptedFileError} from '../../../src/formats/format-errors.js'
import {AGE_FIXTURES, expectNoSecrets, haveAgeCli, rejection, tempDir, writeIn} from './format-fixtures.js'

const CANARY = 'CANARY-age-plaintext-3f9a1c'

async function identitiesFrom(...ids: string[]): Promise<AgeIdentitySet> {
  return discoverAgeIdentities({env: {SOPS_AGE_KEY: ids.join('\n')}, homedir: tempDir(), platform: 'linux'})
}

async function encryptTo(recipients: string[], plaintext: string | Uint8Array): Promise<Uint8Array> {
  const e = new Encrypter()
  for (const r of recipients) e.addRecipient(r)
  return e.encrypt(plaintext)
}

describe('decryptAge', () => {
  it('opens binary and armored files made with typage', async () => {
    const id = await generateX25519Identity()
    const file = await encryptTo([await identityToRecipient(id)], CANARY)
    const ids = await identitiesFrom(id)
    expect(Buffer.from(await decryptAge(file, 'x.age', ids)).toString()).toBe(CANARY)
    expect(Buffer.from(await decryptAge(Buffer.from(armor.encode(file)), 'x.age', ids)).toString()).toBe(CANARY)
  })

  it('opens a file with several recipients with the one identity it has, and a payload over one 64 KiB chunk', async () => {
    const [a, b] = [await generateX25519Identity(), await generateX25519Identity()]
    const big = new Uint8Array(200_000).map((_, i) => i % 251)
    const file = await encryptTo([await identityToRecipient(a), await identityToRecipient(b)], big)
    expect(await decryptAge(file, 'x.age', await identitiesFrom(b))).toEqual(big)
  })

  it('opens the armored data key from getsops/sops age/keysource_test.go (written by the Go age library)', async () => {
    const ids = await discoverAgeIdentities({
      env: {AGE_IDENTITY_FILE: path.join(AGE_FIXTURES, 'sops-keysource-test.key')},
      includeAgeIdentityFile: true,
      homedir: tempDir(),
      platform: 'linux',
    })
    const data = readFileSync(path.join(AGE_FIXTURES, 'sops-keysource-test.age'))
    expect(Buffer.from(await decryptAge(data, 'sops-keysource-test.age', ids)).toString()).toBe('data')
  })

  it('no identity: names the stanzas and every place looked, and says what to do', async () => {
    const [a, b] = [await generateX25519Identity(), await generateX25519Identity()]
    const file = await encryptTo([await identityToRecipient(a), await identityToRecipient(b)], CANARY)
    const err = await rejection(decryptAge(file, 'certs/tls.key.age', await identitiesFrom()))
    expect(err).toBeInstanceOf(EncryptedFileError)
    expect(err).toMatchObject({problem: 'no-key', file: 'certs/tls.key.age', keyUnavailable: true})
    expect(err.message).toContain('certs/tls.key.age: no age identity found to open the age file, which has 2 recipient stanzas: X25519 ×2')
    expect(err.message).toContain('an X25519 stanza does not name its recipient')
    expect(err.message).toContain('SOPS_AGE_KEY (')
    expect(err.message).toContain('keys.txt (not found)')
    expect((err as EncryptedFileError).hint).toContain('SOPS_AGE_KEY')
    expectNoSecrets(err, [CANARY, a, b])
  })

  it('wrong key: names the recipients it has, never the identities', async () => {
    const [a, other] = [await generateX25519Identity(), await generateX25519Identity()]
    const file = await encryptTo([await identityToRecipient(a)], CANARY)
    const err = await rejection(decryptAge(file, 'x.age', await identitiesFrom(other)))
    expect(err).toMatchObject({problem: 'wrong-key'})
    expect(err.message).toContain(`recipients ${await identityToRecipient(other)}`)
    expect(err.message).toContain('1 recipient stanza: X25519')
    expectNoSecrets(err, [CANARY, a, other])
  })

  it('truncated in the payload, truncated in the header, header altered', async () => {
    const id = await generateX25519Identity()
    const ids = await identitiesFrom(id)
    const file = await encryptTo([await identityToRecipient(id)], `${CANARY}${'x'.repeat(500)}`)
    const payloadCut = await rejection(decryptAge(file.subarray(0, file.length - 20), 'x.age', ids))
    expect(payloadCut).toMatchObject({problem: 'truncated'})
    expect(payloadCut.message).toContain('truncated or damaged')
    const headerCut = await rejection(decryptAge(file.subarray(0, 60), 'x.age', ids))
    expect(headerCut).toMatchObject({problem: 'truncated'})
    expect(headerCut.message).toContain('ends inside its header')
    const text = Buffer.from(file).toString('latin1')
    const macAt = text.indexOf('\n--- ') + 6
    const altered = Buffer.from(file)
    altered[macAt] = altered[macAt] === 0x41 ? 0x42 : 0x41
    const err = await rejection(decryptAge(altered, 'x.age', ids))
    expect(err).toMatchObject({problem: 'malformed'})
    for (const e of [payloadCut, headerCut, err]) expectNoSecrets(e, [CANARY, id])
  })

  it('bad armor, not an age file, and a passphrase-encrypted file', async () => {
    const id = await generateX25519Identity()
    const ids = await identitiesFrom(id)
    const armored = armor.encode(await encryptTo([await identityToRecipient(id)], CANARY))
    const noFooter = armored.replace('-----END AGE ENCRYPTED FILE-----', '')
    expect(await rejection(decryptAge(Buffer.from(noFooter), 'x.age', ids))).toMatchObject({problem: 'bad-armor'})
    const badChar = armored.replace(/\n([A-Za-z0-9+/])/, '\n!')
    expect(await rejection(decryptAge(Buffer.from(badChar), 'x.age', ids))).toMatchObject({problem: 'bad-armor'})
    expect(await rejection(decryptAge(Buffer.from('hello'), 'x.age', ids))).toMatchObject({problem: 'malformed'})
    const e = new Encrypter()
    e.setPassphrase('correct horse battery staple')
    e.setScryptWorkFactor(10)
    const err = await rejection(decryptAge(await e.encrypt(CANARY), 'x.age', ids))
    expect(err).toMatchObject({problem: 'unsupported'})
    expect(err.message).toContain('passphrase')
  })

  it('describes stanzas by type and count', () => {
    expect(describeStanzas(['X25519', 'X25519', 'mlkem768x25519'])).toBe('3 recipient stanzas: X25519 ×2, mlkem768x25519')
    expect(describeStanzas([])).toBe('no recipient stanzas')
  })
})

describe.skipIf(!haveAgeCli)('interop with the age command-line tool', () => {
  const run = (cmd: string, args: string[], input?: Uint8Array) => execFileSync(cmd, args, {input, stdio: ['pipe', 'pipe', 'pipe']})

  it('files made by `age -r` and `age -e -a` with an age-keygen key open here', async () => {
    const dir = tempDir()
    const keyFile = path.join(dir, 'key.txt')
    run('age-keygen', ['-o', keyFile])
    const recipient = run('age-keygen', ['-y', keyFile]).toString().trim()
    const plain = writeIn(dir, 'plain.txt', `${CANARY}\nsecond line\n`)
    run('age', ['-r', recipient, '-o', path.join(dir, 'bin.age'), plain])
    run('age', ['-e', '-a', '-r', recipient, '-o', path.join(dir, 'armored.age'), plain])
    const ids = await discoverAgeIdentities({
      env: {AGE_IDENTITY_FILE: keyFile},
      includeAgeIdentityFile: true,
      homedir: dir,
      platform: 'linux',
    })
    for (const name of ['bin.age', 'armored.age']) {
      const out = await decryptAge(readFileSync(path.join(dir, name)), name, ids)
      expect(Buffer.from(out).toString()).toBe(`${CANARY}\nsecond line\n`)
    }
    expect(readFileSync(path.join(dir, 'armored.age'), 'utf8')).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----/)
  })

  it('files written here (binary and armored) open with `age -d -i`', async () => {
    const dir = tempDir()
    const keyFile = path.join(dir, 'key.txt')
    run('age-keygen', ['-o', keyFile])
    const recipient = run('age-keygen', ['-y', keyFile]).toString().trim()
    const bin = await encryptTo([recipient], CANARY)
    writeIn(dir, 'bin.age', bin)
    writeIn(dir, 'armored.age', armor.encode(bin))
    expect(run('age', ['-d', '-i', keyFile, path.join(dir, 'bin.age')]).toString()).toBe(CANARY)
    expect(run('age', ['-d', '-i', keyFile, path.join(dir, 'armored.age')]).toString()).toBe(CANARY)
  })

  it('an age-keygen key file read through SOPS_AGE_KEY_FILE; a file for another key is a wrong-key error', async () => {
    const dir = tempDir()
    const mine = path.join(dir, 'mine.txt')
    const theirs = path.join(dir, 'theirs.txt')
    run('age-keygen', ['-o', mine])
    run('age-keygen', ['-o', theirs])
    const plain = writeIn(dir, 'p.txt', CANARY)
    run('age', ['-r', run('age-keygen', ['-y', theirs]).toString().trim(), '-o', path.join(dir, 'f.age'), plain])
    const ids = await discoverAgeIdentities({env: {SOPS_AGE_KEY_FILE: mine}, homedir: dir, platform: 'linux'})
    const err = await rejection(decryptAge(readFileSync(path.join(dir, 'f.age')), 'f.age', ids))
    expect(err).toMatchObject({problem: 'wrong-key'})
    expectNoSecrets(err, [
      CANARY,
      ...readFileSync(mine, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('AGE-SECRET-KEY')),
    ])
  })
})
