import {spawn} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {CorruptStoreError, WrongPasswordError} from '../../../src/backends/encrypted/encrypted-errors.js'
import {readStoreFile, serialiseStoreDocument, stageStoreFile, writeStoreFile} from '../../../src/backends/encrypted/file-store.js'
import {DerivedKeyCache} from '../../../src/backends/encrypted/key-derivation.js'
import {rekeyDocument} from '../../../src/backends/encrypted/rekey.js'
import {createStoreHeader, emptyStoreDocument, putSecret, readSecret, unlockStore} from '../../../src/backends/encrypted/store-document.js'
import {BackendError} from '../../../src/errors.js'
import {CANARY_NEW_PASSWORD, CANARY_PASSWORD, CANARY_VALUE, caught, errorText, expectNoCanary, FAST_ARGON2ID} from './helpers.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')

async function sampleStore(password = CANARY_PASSWORD) {
  const {header, cipher} = await createStoreHeader('enc', password, {params: FAST_ARGON2ID, cache: new DerivedKeyCache()})
  let doc = emptyStoreDocument(header)
  doc = putSecret(doc, cipher, 'github', {TOKEN: CANARY_VALUE, USER: 'octo'})
  doc = putSecret(doc, cipher, 'db', {URL: 'postgres://x'})
  return {doc, cipher}
}

describe('encrypted store file', () => {
  let dir: string
  let file: string
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'secretctl-enc-'))
    file = path.join(dir, 'store', 'secrets.enc.json')
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  it('writes mode 0600 whatever the umask, creates the directory 0700, and reads back the same document', async () => {
    const {doc} = await sampleStore()
    const old = process.umask(0o000)
    try {
      await writeStoreFile(file, doc, {backend: 'enc'})
    } finally {
      process.umask(old)
    }
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700)
    expect(await readStoreFile(file, {backend: 'enc'})).toEqual(doc)
    const text = readFileSync(file, 'utf8')
    expectNoCanary(text)
    expect(text).toBe(serialiseStoreDocument(doc))
  })

  it('replaces the file atomically: no temporary file is left, the mode stays 0600, the content is the new one', async () => {
    const {doc, cipher} = await sampleStore()
    await writeStoreFile(file, doc, {backend: 'enc'})
    const next = putSecret(doc, cipher, 'extra', {K: 'v'})
    await writeStoreFile(file, next, {backend: 'enc'})
    expect(readdirSync(path.dirname(file))).toEqual(['secrets.enc.json'])
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const read = (await readStoreFile(file, {backend: 'enc'}))!
    expect(readSecret(read, cipher, 'extra')).toEqual({K: 'v'})
  })

  it('writes keys in a stable order, so the same store gives the same bytes', async () => {
    const {doc, cipher} = await sampleStore()
    const a = putSecret(putSecret(doc, cipher, 'z', {B: '1', A: '2'}), cipher, 'a', {K: '3'})
    const text = serialiseStoreDocument(a)
    expect(Object.keys(JSON.parse(text).secrets)).toEqual(['a', 'db', 'github', 'z'])
    expect(Object.keys(JSON.parse(text).secrets.z)).toEqual(['A', 'B'])
    expect(Object.keys(JSON.parse(text))).toEqual(['format', 'version', 'kdf', 'keyCheck', 'secrets', 'versions'])
    expect(JSON.parse(text).versions).toEqual({a: 1, db: 1, github: 1, z: 1})
  })

  it('a missing file is an error naming it, unless the caller is creating the store', async () => {
    const err = await caught(() => readStoreFile(file, {backend: 'enc'}))
    expect(err).toBeInstanceOf(BackendError)
    expect(err.message).toBe(`backend enc: encrypted store file ${file} does not exist`)
    expect(await readStoreFile(file, {backend: 'enc', create: true})).toBeUndefined()
  })

  it.each([
    ['empty', '', 'empty (truncated)'],
    ['whitespace only', '\n', 'empty (truncated)'],
    ['truncated JSON', 'HALF', 'not valid JSON (truncated or corrupt)'],
    ['not JSON', `garbage ${CANARY_VALUE} garbage`, 'not valid JSON (truncated or corrupt)'],
    ['JSON of another shape', `{"secrets": "${CANARY_VALUE}"}`, 'not a secretctl encrypted store'],
  ])('a file that is %s is a CorruptStoreError naming the file and the backend, quoting nothing', async (_, content, text) => {
    const {doc} = await sampleStore()
    await writeStoreFile(file, doc, {backend: 'enc'})
    const full = readFileSync(file, 'utf8')
    // A truncated file keeps its first half; a canary planted there must not reach the message.
    const written = content === 'HALF' ? `{"planted": "${CANARY_VALUE}", ${full.slice(1, full.length / 2)}` : content
    writeFileSync(file, written)
    const err = await caught(() => readStoreFile(file, {backend: 'enc', create: true}))
    expect(err).toBeInstanceOf(CorruptStoreError)
    expect(err.message).toBe(
      text.startsWith('not a secretctl')
        ? `store file ${file}: not a secretctl encrypted store (format is not secretctl-encrypted-store) (backend enc)`
        : `store file ${file}: ${text} (backend enc)`,
    )
    expectNoCanary(errorText(err))
  })

  it('a staged write that is discarded, or never committed, leaves the old file in force', async () => {
    const {doc, cipher} = await sampleStore()
    await writeStoreFile(file, doc, {backend: 'enc'})
    const before = readFileSync(file)
    const staged = await stageStoreFile(file, putSecret(doc, cipher, 'new', {K: 'v'}), {backend: 'enc'})
    expect(statSync(staged.tempPath).mode & 0o777).toBe(0o600)
    expect(path.dirname(staged.tempPath)).toBe(path.dirname(file))
    expect(readFileSync(file).equals(before)).toBe(true)
    await staged.discard()
    expect(readdirSync(path.dirname(file))).toEqual(['secrets.enc.json'])
  })
})

describe('rekey of a store file', () => {
  let dir: string
  let file: string
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'secretctl-rekey-'))
    file = path.join(dir, 'secrets.enc.json')
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  it('interrupted after the new file is written and before the rename, the old password still opens the store', async () => {
    const {doc} = await sampleStore()
    await writeStoreFile(file, doc, {backend: 'enc'})
    const before = readFileSync(file)

    // In-process: the rekeyed document staged (written, fsynced) but not committed.
    const current = (await readStoreFile(file, {backend: 'enc'}))!
    const oldCipher = await unlockStore(current, CANARY_PASSWORD, 'enc', new DerivedKeyCache())
    const next = await createStoreHeader('enc', CANARY_NEW_PASSWORD, {params: FAST_ARGON2ID, cache: new DerivedKeyCache()})
    const staged = await stageStoreFile(file, rekeyDocument(current, oldCipher, next), {backend: 'enc'})

    expect(readFileSync(file).equals(before)).toBe(true)
    const after = (await readStoreFile(file, {backend: 'enc'}))!
    const reopened = await unlockStore(after, CANARY_PASSWORD, 'enc', new DerivedKeyCache())
    expect(readSecret(after, reopened, 'github')).toEqual({TOKEN: CANARY_VALUE, USER: 'octo'})
    await expect(unlockStore(after, CANARY_NEW_PASSWORD, 'enc', new DerivedKeyCache())).rejects.toBeInstanceOf(WrongPasswordError)

    // The commit is the one step that switches passwords.
    await staged.commit()
    const committed = (await readStoreFile(file, {backend: 'enc'}))!
    const newCipher = await unlockStore(committed, CANARY_NEW_PASSWORD, 'enc', new DerivedKeyCache())
    expect(readSecret(committed, newCipher, 'github')).toEqual({TOKEN: CANARY_VALUE, USER: 'octo'})
    await expect(unlockStore(committed, CANARY_PASSWORD, 'enc', new DerivedKeyCache())).rejects.toBeInstanceOf(WrongPasswordError)
  })

  it('a process killed (SIGKILL) between writing the new file and the rename leaves the old password working', async () => {
    const {doc} = await sampleStore()
    await writeStoreFile(file, doc, {backend: 'enc'})
    const before = readFileSync(file)

    const child = path.join(dir, 'rekey-child.mts')
    const src = (p: string) => JSON.stringify(path.join(ROOT, p))
    writeFileSync(
      child,
      `import {readStoreFile, stageStoreFile} from ${src('src/backends/encrypted/file-store.ts')}
import {rekeyDocument} from ${src('src/backends/encrypted/rekey.ts')}
import {createStoreHeader, unlockStore} from ${src('src/backends/encrypted/store-document.ts')}
const [file, oldPassword, newPassword] = process.argv.slice(2)
const doc = await readStoreFile(file, {backend: 'enc'})
const from = await unlockStore(doc, oldPassword, 'enc')
const next = await createStoreHeader('enc', newPassword, {params: ${JSON.stringify(FAST_ARGON2ID)}})
await stageStoreFile(file, rekeyDocument(doc, from, next), {backend: 'enc'})
process.kill(process.pid, 'SIGKILL')
`,
    )
    const outcome = await new Promise<{code: number | null; signal: NodeJS.Signals | null; stderr: string}>((resolve, reject) => {
      const p = spawn(process.execPath, ['--import', 'tsx', child, file, CANARY_PASSWORD, CANARY_NEW_PASSWORD], {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
      })
      let stderr = ''
      p.stderr.on('data', (d) => {
        stderr += d
      })
      p.on('error', reject)
      p.on('exit', (code, signal) => resolve({code, signal, stderr}))
    })
    expect(outcome.stderr).toBe('')
    expect(outcome.signal).toBe('SIGKILL')

    // The new file was written beside the store and left behind; the store itself is unchanged.
    const leftovers = readdirSync(dir).filter((f) => f.endsWith('.tmp'))
    expect(leftovers).toHaveLength(1)
    expect(readFileSync(file).equals(before)).toBe(true)
    const staged = JSON.parse(readFileSync(path.join(dir, leftovers[0]!), 'utf8'))
    expect(staged.kdf.salt).not.toBe(doc.kdf.salt)

    const after = (await readStoreFile(file, {backend: 'enc'}))!
    const cipher = await unlockStore(after, CANARY_PASSWORD, 'enc', new DerivedKeyCache())
    expect(readSecret(after, cipher, 'github')).toEqual({TOKEN: CANARY_VALUE, USER: 'octo'})
    await expect(unlockStore(after, CANARY_NEW_PASSWORD, 'enc', new DerivedKeyCache())).rejects.toBeInstanceOf(WrongPasswordError)
  })
})
