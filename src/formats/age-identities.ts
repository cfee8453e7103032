/**
 * Finds this machine's age identities the way SOPS does (getsops/sops `age/keysource.go`,
 * `loadIdentities`): every one of `SOPS_AGE_KEY` (identities, one a line), `SOPS_AGE_KEY_FILE`
 * (a path), and the user config file `sops/age/keys.txt` — under `$XDG_CONFIG_HOME` or
 * `~/.config` on Linux, `$XDG_CONFIG_HOME` or `~/Library/Application Support` on macOS,
 * `%AppData%` on Windows (Go's `os.UserConfigDir`, which SOPS overrides on macOS to honour
 * XDG_CONFIG_HOME). For plain age files `AGE_IDENTITY_FILE` is looked at too, first.
 *
 * Not supported (each reported as a problem, never fatal on its own): `SOPS_AGE_KEY_CMD`, SSH keys
 * (`SOPS_AGE_SSH_PRIVATE_KEY_FILE`, `~/.ssh/id_ed25519`), plugin identities (`AGE-PLUGIN-…`) and
 * passphrase-protected identity files. The identities themselves live only in a private field:
 * they never reach a message, `JSON.stringify` or `util.inspect`.
 */
import {readFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {inspect} from 'node:util'
import type {Decrypter, Identity} from 'age-encryption'
import {type AgeLibrary, loadAge} from './age-library.js'

export const SOPS_AGE_KEY = 'SOPS_AGE_KEY'
export const SOPS_AGE_KEY_FILE = 'SOPS_AGE_KEY_FILE'
export const AGE_IDENTITY_FILE = 'AGE_IDENTITY_FILE'
/** Below the user config directory, as SOPS names it (`SopsAgeKeyUserConfigPath`). */
export const SOPS_USER_KEYS_PATH = path.join('sops', 'age', 'keys.txt')

/** One place looked for identities and what was found there; safe to print. */
export interface IdentityLocation {
  /** An environment variable name or a file path. */
  location: string
  status: 'not set' | 'not found' | 'unreadable' | 'empty' | 'found'
  /** How many identities were taken from it. */
  count: number
  /** Lines that were skipped (unsupported or invalid), by line number and reason. */
  problems: string[]
}

export interface DiscoverAgeIdentitiesOptions {
  env: NodeJS.ProcessEnv
  /** Also read `AGE_IDENTITY_FILE` (for `fromAge`; SOPS itself does not). */
  includeAgeIdentityFile?: boolean
  /** For tests: the platform whose config directory rules apply; default process.platform. */
  platform?: NodeJS.Platform
  /** For tests: the home directory; default os.homedir(). */
  homedir?: string
}

/** The identities found on this machine, with where they were looked for. Holds secrets: never log its fields. */
export class AgeIdentitySet {
  readonly #identities: string[]
  readonly locations: IdentityLocation[]
  readonly #age: AgeLibrary
  #recipients?: Promise<Array<string | undefined>>

  constructor(identities: string[], locations: IdentityLocation[], age: AgeLibrary) {
    this.#identities = identities
    this.locations = locations
    this.#age = age
  }

  get size(): number {
    return this.#identities.length
  }

  /** A Decrypter holding every identity, after the given low-level identities (used to record header stanzas). */
  decrypter(first: Identity[] = []): Decrypter {
    const d = new this.#age.Decrypter()
    for (const id of first) d.addIdentity(id)
    for (const id of this.#identities) d.addIdentity(id)
    return d
  }

  /** A Decrypter holding only the identities whose recipient is one of `recipients`. */
  async decrypterFor(recipients: string[]): Promise<Decrypter | undefined> {
    const mine = await this.#recipientsOf()
    const wanted = new Set(recipients)
    const d = new this.#age.Decrypter()
    let n = 0
    this.#identities.forEach((id, i) => {
      const r = mine[i]
      if (r !== undefined && wanted.has(r)) {
        d.addIdentity(id)
        n++
      }
    })
    return n === 0 ? undefined : d
  }

  /** The recipients (public keys) of the identities held; public, safe to print. */
  async recipients(): Promise<string[]> {
    return (await this.#recipientsOf()).filter((r): r is string => r !== undefined)
  }

  #recipientsOf(): Promise<Array<string | undefined>> {
    this.#recipients ??= Promise.all(this.#identities.map((id) => this.#age.identityToRecipient(id).catch(() => undefined)))
    return this.#recipients
  }

  /** "SOPS_AGE_KEY (not set), /home/me/.config/sops/age/keys.txt (not found)" for messages. */
  describeLocations(): string {
    return this.locations
      .map((l) => `${l.location} (${l.status === 'found' ? `${l.count} identit${l.count === 1 ? 'y' : 'ies'}` : l.status})`)
      .join(', ')
  }

  toJSON(): unknown {
    return {size: this.size, locations: this.locations}
  }

  [inspect.custom](): string {
    return `AgeIdentitySet(${this.size} identities from ${this.describeLocations()})`
  }
}

/** The user config directory the way Go's os.UserConfigDir computes it, with SOPS's macOS override. */
export function userConfigDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, homedir: string): string | undefined {
  const xdg = env.XDG_CONFIG_HOME
  if (platform === 'win32') return env.AppData || env.APPDATA || undefined
  if (platform === 'darwin') return xdg ? xdg : homedir ? path.join(homedir, 'Library', 'Application Support') : undefined
  // Go ignores a relative XDG_CONFIG_HOME (it returns an error); the home fallback is then used by nobody, so neither do we.
  if (xdg) return path.isAbsolute(xdg) ? xdg : undefined
  return homedir ? path.join(homedir, '.config') : undefined
}

/** Every place SOPS (and, for `fromAge`, age) looks for identities, read in that order. */
export async function discoverAgeIdentities(opts: DiscoverAgeIdentitiesOptions): Promise<AgeIdentitySet> {
  const age = await loadAge()
  const env = opts.env
  const identities: string[] = []
  const locations: IdentityLocation[] = []
  const take = (location: string, text: string) => {
    const parsed = identitiesIn(text, age)
    identities.push(...parsed.identities)
    locations.push({
      location,
      status: parsed.identities.length > 0 ? 'found' : 'empty',
      count: parsed.identities.length,
      problems: parsed.problems,
    })
  }
  const readKeyFile = async (location: string, file: string, missing: IdentityLocation['status']) => {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      locations.push({
        location,
        status: code === 'ENOENT' ? missing : 'unreadable',
        count: 0,
        problems: code && code !== 'ENOENT' ? [code] : [],
      })
      return
    }
    take(location, text)
  }

  if (opts.includeAgeIdentityFile) {
    const file = env[AGE_IDENTITY_FILE]
    if (file) await readKeyFile(`${AGE_IDENTITY_FILE}=${file}`, file, 'not found')
    else locations.push({location: AGE_IDENTITY_FILE, status: 'not set', count: 0, problems: []})
  }
  const inline = env[SOPS_AGE_KEY]
  if (inline !== undefined) take(SOPS_AGE_KEY, inline)
  else locations.push({location: SOPS_AGE_KEY, status: 'not set', count: 0, problems: []})

  const keyFile = env[SOPS_AGE_KEY_FILE]
  if (keyFile) await readKeyFile(`${SOPS_AGE_KEY_FILE}=${keyFile}`, keyFile, 'not found')
  else locations.push({location: SOPS_AGE_KEY_FILE, status: 'not set', count: 0, problems: []})

  const configDir = userConfigDir(env, opts.platform ?? process.platform, opts.homedir ?? os.homedir())
  if (configDir) await readKeyFile(path.join(configDir, SOPS_USER_KEYS_PATH), path.join(configDir, SOPS_USER_KEYS_PATH), 'not found')

  for (const unsupported of ['SOPS_AGE_KEY_CMD', 'SOPS_AGE_SSH_PRIVATE_KEY_FILE']) {
    if (env[unsupported]) locations.push({location: unsupported, status: 'unreadable', count: 0, problems: ['not supported by secretctl']})
  }
  return new AgeIdentitySet(identities, locations, age)
}

/**
 * Identities from the text of a keys file or of SOPS_AGE_KEY: one a line, blank lines and `#`
 * comments skipped (as SOPS's parseIdentities). A bad line is reported by number, never quoted.
 */
export async function parseIdentityText(text: string): Promise<{identities: string[]; problems: string[]}> {
  return identitiesIn(text, await loadAge())
}

function identitiesIn(text: string, age: AgeLibrary): {identities: string[]; problems: string[]} {
  const identities: string[] = []
  const problems: string[] = []
  if (/^\s*(-----BEGIN AGE ENCRYPTED FILE-----|age-encryption\.org\/)/.test(text)) {
    return {identities, problems: ['is an encrypted (passphrase-protected) identity file, which secretctl does not read']}
  }
  const lines = text.split('\n')
  lines.forEach((raw, i) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    if (line.startsWith('AGE-PLUGIN-')) {
      problems.push(`line ${i + 1}: age plugin identities are not supported`)
      return
    }
    if (!validIdentity(line, age)) {
      problems.push(`line ${i + 1}: not an age identity (AGE-SECRET-KEY-1…)`)
      return
    }
    identities.push(line)
  })
  return {identities, problems}
}

/** True when typage accepts the string as an identity. Its own error text may quote the key, so it is dropped. */
function validIdentity(s: string, age: AgeLibrary): boolean {
  if (!s.startsWith('AGE-SECRET-KEY-1') && !s.startsWith('AGE-SECRET-KEY-PQ-1')) return false
  try {
    new age.Decrypter().addIdentity(s)
    return true
  } catch {
    return false
  }
}
