/**
 * Decrypts dotenvx-encrypted env files: values `encrypted:<base64>`, each an ECIES message to the
 * file's secp256k1 public key (ephemeral uncompressed point, HKDF-SHA256, AES-256-GCM with a
 * 16-byte nonce), decrypted with `eciesjs` as dotenvx does (@dotenvx/primitives `decrypt`).
 *
 * Which private key, as dotenvx 2.x finds it (`conventions/keynames.js`, `resolvers/envs.js`,
 * `parseWithDecryptor.js` and the primitives keyring):
 * - its name: from the file's own `DOTENV_PUBLIC_KEY…` line if it has one (PUBLIC → PRIVATE),
 *   else from the file name: `.env` → DOTENV_PRIVATE_KEY, `.env.production` → …_PRODUCTION,
 *   `.env.production.local` → …_PRODUCTION_LOCAL (the first two parts after `.env`, joined by "_");
 * - its value: the environment variable of that name (a comma-separated list, tried in turn);
 *   when that variable is not set, the same name in `.env.keys` beside the file (dotenvx reads it
 *   by default, and so does this unless told not to);
 * - when the file declares its public key, a key is chosen by the public key it derives to, also
 *   among every other DOTENV_PRIVATE_KEY* variable and `.env.keys` entry (dotenvx's keyring).
 * The `DOTENV_PUBLIC_KEY…` lines are not secrets, and are not values: they are left out of the result.
 */
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {parse} from 'dotenv'
import type * as EciesModule from 'eciesjs'
import type {Config} from 'eciesjs/config'
import {EncryptedFileError} from './format-errors.js'

export const DOTENVX_PREFIX = 'encrypted:'
const PUBLIC = 'DOTENV_PUBLIC_KEY'
const PRIVATE = 'DOTENV_PRIVATE_KEY'
type Ecies = Pick<typeof EciesModule, 'decrypt' | 'PrivateKey'> & {config: Config}
let ecies: Promise<Ecies> | undefined

/**
 * eciesjs, loaded when a file first has an encrypted value (it and its curves were a sixth of the code every
 * command loaded), with dotenvx's defaults passed explicitly so that no other user of eciesjs's global config
 * can change them.
 */
function loadEcies(): Promise<Ecies> {
  ecies ??= Promise.all([import('eciesjs'), import('eciesjs/config')]).then(([m, c]) => ({
    decrypt: m.decrypt,
    PrivateKey: m.PrivateKey,
    config: new c.Config(),
  }))
  return ecies
}

/** A `DOTENV_PUBLIC_KEY…` line: the file's metadata (not a secret, not a value). */
export function isDotenvxPublicKey(key: string): boolean {
  return key.startsWith(PUBLIC)
}

export function isDotenvxEncrypted(value: string): boolean {
  return value.startsWith(DOTENVX_PREFIX)
}

/** The key names dotenvx uses for a file, from its public-key line if it has one, else from its name. */
export function dotenvxKeyNames(filePath: string, values: Record<string, string>): {publicKeyName: string; privateKeyName: string} {
  const declared = Object.keys(values).find((k) => k.startsWith(PUBLIC))
  if (declared) return {publicKeyName: declared, privateKeyName: declared.replace(PUBLIC, PRIVATE)}
  let name = path.basename(filePath).toLowerCase()
  if (name.startsWith('.env') && name.endsWith('.txt')) name = name.slice(0, -4)
  if (name === '.env') return {publicKeyName: PUBLIC, privateKeyName: PRIVATE}
  const parts = name.split('.').slice(2)
  const environment = (parts.length === 0 ? name.replace('.env', 'development') : parts.slice(0, 2).join('_')).toUpperCase()
  return {publicKeyName: `${PUBLIC}_${environment}`, privateKeyName: `${PRIVATE}_${environment}`}
}

export interface DotenvxOptions {
  env: NodeJS.ProcessEnv
  /** Read `.env.keys` beside the file when the private-key variable is not set (dotenvx's default). Default true. */
  envKeysFile?: boolean
  /** Names the file in errors; default the path read. */
  displayPath?: string
}

/** A dotenv file's values with every `encrypted:` value decrypted. Holds secrets: never log `values`. */
export interface DotenvxFile {
  values: Record<string, string>
  /** Keys whose values were encrypted in the file. */
  encryptedKeys: string[]
  /** The file's declared public key (not a secret), if any. */
  publicKey?: string
  /** Where the private key that opened the values came from (a variable name or a file path); undefined when nothing was encrypted. */
  keySource?: string
}

interface Candidate {
  key: string
  source: string
}

/** Reads the dotenv file at `absPath` and decrypts its encrypted values; plain values pass through. */
export async function readDotenvxFile(absPath: string, opts: DotenvxOptions): Promise<DotenvxFile> {
  const text = await readFile(absPath, 'utf8')
  return decryptDotenvx(absPath, text, opts)
}

/** The same, from text already read (`absPath` is still needed: the key name and `.env.keys` depend on it). */
export async function decryptDotenvx(absPath: string, text: string, opts: DotenvxOptions): Promise<DotenvxFile> {
  const file = opts.displayPath ?? absPath
  const parsed = parse(text)
  const {publicKeyName, privateKeyName} = dotenvxKeyNames(absPath, parsed)
  const publicKey = parsed[publicKeyName] || undefined
  const values: Record<string, string> = {}
  const encrypted: string[] = []
  for (const [k, v] of Object.entries(parsed)) {
    if (k.startsWith(PUBLIC)) continue
    values[k] = v
    if (isDotenvxEncrypted(v)) encrypted.push(k)
  }
  if (encrypted.length === 0) return {values, encryptedKeys: [], publicKey}
  const {decrypt, PrivateKey, config} = await loadEcies()

  const keysFile = path.join(path.dirname(absPath), '.env.keys')
  const looked: string[] = []
  const named = await namedCandidates(privateKeyName, opts, keysFile, looked)
  // As dotenvx: `.env.keys` is read only when the file's own variable is not set.
  const useKeysFile = opts.envKeysFile !== false && !opts.env[privateKeyName]
  let candidates = named
  if (publicKey) {
    const everyKey = [...named, ...(await keyringCandidates(opts.env, useKeysFile ? keysFile : undefined))]
    const matching = everyKey.filter((c) => publicKeyOf(c.key, PrivateKey) === publicKey)
    // With no key that derives to the file's public key, the named ones are still tried: their errors say more.
    if (matching.length > 0) candidates = [matching[0]]
  }

  let keySource: string | undefined
  for (const k of encrypted) {
    const line = lineOf(text, k)
    if (candidates.length === 0) {
      throw new EncryptedFileError('no-key', file, `no dotenvx private key found; looked in ${looked.join(', ')}`, {
        line,
        key: k,
        hint: `set ${privateKeyName} (the value dotenvx wrote to .env.keys), or pass it to the job as a secret variable`,
      })
    }
    let opened = false
    let malformed = false
    for (const c of candidates) {
      if (!/^[0-9a-fA-F]{64}$/.test(c.key)) continue
      const bytes = ciphertext(values[k])
      if (!bytes) {
        malformed = true
        break
      }
      try {
        values[k] = Buffer.from(decrypt(c.key, bytes, config)).toString('utf8')
        keySource ??= c.source
        opened = true
        break
      } catch (err) {
        // A point that is not on the curve, or too short a message, is the file's fault; anything else is a wrong key.
        if (err instanceof Error && /point|length|invalid/i.test(err.message) && !/authenticate|tag/i.test(err.message)) malformed = true
      }
    }
    if (opened) continue
    if (malformed)
      throw new EncryptedFileError('malformed', file, 'is not a valid dotenvx encrypted value (bad base64 or ECIES data)', {line, key: k})
    const invalid = candidates.filter((c) => !/^[0-9a-fA-F]{64}$/.test(c.key))
    if (invalid.length === candidates.length) {
      throw new EncryptedFileError(
        'malformed',
        file,
        `the private key from ${invalid.map((c) => c.source).join(', ')} is not 64 hex digits`,
        {
          line,
          key: k,
        },
      )
    }
    const pub = publicKey ? `, which is encrypted to public key ${publicKey}` : ''
    throw new EncryptedFileError(
      'wrong-key',
      file,
      `none of the ${candidates.length} private key(s) from ${sources(candidates)} opens the value${pub}`,
      {
        line,
        key: k,
        hint: `check that ${privateKeyName} is the key dotenvx wrote to .env.keys for this file`,
      },
    )
  }
  return {values, encryptedKeys: encrypted, publicKey, keySource}
}

/** The keys under the file's private-key name: the variable (comma list) if set, else `.env.keys`. Records where it looked. */
async function namedCandidates(name: string, opts: DotenvxOptions, keysFile: string, looked: string[]): Promise<Candidate[]> {
  const fromEnv = opts.env[name]
  if (fromEnv !== undefined && fromEnv !== '') {
    looked.push(name)
    return split(fromEnv).map((key) => ({key, source: name}))
  }
  looked.push(`${name} (not set)`)
  if (opts.envKeysFile === false) return []
  const keys = await readKeysFile(keysFile)
  if (keys === undefined) {
    looked.push(`${keysFile} (not found)`)
    return []
  }
  const v = keys[name]
  looked.push(v ? keysFile : `${keysFile} (has no ${name})`)
  return v ? split(v).map((key) => ({key, source: `${keysFile} ${name}`})) : []
}

/** Every other DOTENV_PRIVATE_KEY* variable and `.env.keys` entry, for matching by public key. */
async function keyringCandidates(env: NodeJS.ProcessEnv, keysFile: string | undefined): Promise<Candidate[]> {
  const out: Candidate[] = []
  for (const [k, v] of Object.entries(env)) if (k.startsWith(PRIVATE) && v) out.push(...split(v).map((key) => ({key, source: k})))
  if (keysFile !== undefined) {
    const keys = (await readKeysFile(keysFile)) ?? {}
    for (const [k, v] of Object.entries(keys))
      if (k.startsWith(PRIVATE) && v) out.push(...split(v).map((key) => ({key, source: `${keysFile} ${k}`})))
  }
  return out
}

async function readKeysFile(keysFile: string): Promise<Record<string, string> | undefined> {
  try {
    return parse(await readFile(keysFile, 'utf8'))
  } catch {
    return undefined
  }
}

function split(list: string): string[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

function sources(cs: Candidate[]): string {
  return [...new Set(cs.map((c) => c.source))].join(', ')
}

/** The compressed public key (hex) a private key derives to, or undefined for a malformed key. */
function publicKeyOf(privateKeyHex: string, PrivateKey: Ecies['PrivateKey']): string | undefined {
  if (!/^[0-9a-fA-F]{64}$/.test(privateKeyHex)) return undefined
  try {
    return PrivateKey.fromHex(privateKeyHex, 'secp256k1').publicKey.toHex(true)
  } catch {
    return undefined
  }
}

function ciphertext(value: string): Uint8Array | undefined {
  const b64 = value.slice(DOTENVX_PREFIX.length)
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return undefined
  const bytes = Buffer.from(b64, 'base64')
  // 65-byte ephemeral point, 16-byte nonce, 16-byte tag at the least.
  return bytes.length >= 65 + 16 + 16 ? bytes : undefined
}

/** The 1-based line of the last assignment of `key` (dotenv keeps the last), for errors. */
function lineOf(text: string, key: string): number | undefined {
  const re = new RegExp(`^\\s*(?:export\\s+)?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*[=:]`)
  let found: number | undefined
  text.split(/\r?\n/).forEach((l, i) => {
    if (re.test(l)) found = i + 1
  })
  return found
}
