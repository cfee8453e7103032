import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {inspect} from 'node:util'
import {generateX25519Identity, identityToRecipient} from 'age-encryption'
import {describe, expect, it} from 'vitest'
import {discoverAgeIdentities} from '../../../src/formats/age-identities.js'
import {DecryptedFileCache} from '../../../src/formats/decrypted-file-cache.js'
import {decryptSopsFile, parseSopsFile} from '../../../src/formats/sops-file.js'
import {writeSops} from '../../support/sops-writer.js'
import {rejection, tempDir, writeIn} from './format-fixtures.js'

describe('DecryptedFileCache', () => {
  it('decrypts a file once per run however many sources name it, concurrently or not', async () => {
    const id = await generateX25519Identity()
    const ids = await discoverAgeIdentities({env: {SOPS_AGE_KEY: id}, homedir: tempDir(), platform: 'linux'})
    const dir = tempDir()
    const file = writeIn(
      dir,
      'app.enc.yaml',
      await writeSops({a: 'CANARY-cache-a', b: 'CANARY-cache-b'}, {format: 'yaml', recipients: [await identityToRecipient(id)]}),
    )
    const cache = new DecryptedFileCache()
    const read = (p: string) => cache.get(p, 'sops', async (bytes) => decryptSopsFile(parseSopsFile(p, bytes.toString('utf8')), ids))
    const results = await Promise.all([read(file), read(file), read(path.join(dir, '.', 'app.enc.yaml'))])
    expect(cache.decryptions).toBe(1)
    expect(results.map((r) => r.value.leaves.get('b'))).toEqual(['CANARY-cache-b', 'CANARY-cache-b', 'CANARY-cache-b'])
    expect(results[0].digest).toMatch(/^[0-9a-f]{64}$/)
    await read(file)
    expect(cache.decryptions).toBe(1)
    expect(inspect(cache)).not.toContain('CANARY')
    expect(JSON.stringify(cache)).not.toContain('CANARY')
  })

  it('reads again when the content changes, keeps kinds apart, and remembers a failure', async () => {
    const dir = tempDir()
    const file = writeIn(dir, 'x.bin', 'one')
    const cache = new DecryptedFileCache()
    const upper = (b: Buffer) => Promise.resolve(b.toString().toUpperCase())
    expect((await cache.get(file, 'a', upper)).value).toBe('ONE')
    writeFileSync(file, 'two')
    const second = await cache.get(file, 'a', upper)
    expect(second.value).toBe('TWO')
    await cache.get(file, 'b', upper)
    expect(cache.decryptions).toBe(3)
    let calls = 0
    const failing = () => {
      calls++
      return Promise.reject(new Error('no key'))
    }
    await rejection(cache.get(file, 'c', failing))
    await rejection(cache.get(file, 'c', failing))
    expect(calls).toBe(1)
    cache.clear()
    expect((await cache.get(file, 'a', upper)).value).toBe('TWO')
  })
})
