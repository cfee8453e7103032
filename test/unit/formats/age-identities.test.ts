import path from 'node:path'
import {inspect} from 'node:util'
import {generateX25519Identity, identityToRecipient} from 'age-encryption'
import {describe, expect, it} from 'vitest'
import {discoverAgeIdentities, parseIdentityText, userConfigDir} from '../../../src/formats/age-identities.js'
import {tempDir, writeIn} from './format-fixtures.js'

describe('userConfigDir (Go os.UserConfigDir, with SOPS reading XDG_CONFIG_HOME on macOS too)', () => {
  it('Linux: $XDG_CONFIG_HOME when absolute, else ~/.config', () => {
    expect(userConfigDir({XDG_CONFIG_HOME: '/x/cfg'}, 'linux', '/home/me')).toBe('/x/cfg')
    expect(userConfigDir({}, 'linux', '/home/me')).toBe('/home/me/.config')
    expect(userConfigDir({XDG_CONFIG_HOME: 'relative'}, 'linux', '/home/me')).toBeUndefined()
  })
  it('macOS: $XDG_CONFIG_HOME, else ~/Library/Application Support', () => {
    expect(userConfigDir({XDG_CONFIG_HOME: '/x/cfg'}, 'darwin', '/Users/me')).toBe('/x/cfg')
    expect(userConfigDir({}, 'darwin', '/Users/me')).toBe('/Users/me/Library/Application Support')
  })
  it('Windows: %AppData%', () => {
    expect(userConfigDir({APPDATA: 'C:\\Users\\me\\AppData\\Roaming'}, 'win32', 'C:\\Users\\me')).toBe('C:\\Users\\me\\AppData\\Roaming')
  })
})

describe('discoverAgeIdentities', () => {
  it('reads SOPS_AGE_KEY (several lines), SOPS_AGE_KEY_FILE and the user keys.txt, all of them, and says where it looked', async () => {
    const [a, b, c, d] = await Promise.all([1, 2, 3, 4].map(() => generateX25519Identity()))
    const home = tempDir()
    const cfg = path.join(home, 'cfg')
    const {mkdirSync} = await import('node:fs')
    mkdirSync(path.join(cfg, 'sops', 'age'), {recursive: true})
    writeIn(path.join(cfg, 'sops', 'age'), 'keys.txt', `# created: now\n# public key: ${await identityToRecipient(d)}\n${d}\n`)
    const keyFile = writeIn(home, 'ci-key.txt', `${c}\n`)
    const set = await discoverAgeIdentities({
      env: {SOPS_AGE_KEY: `${a}\n\n# comment\n${b}\n`, SOPS_AGE_KEY_FILE: keyFile, XDG_CONFIG_HOME: cfg},
      platform: 'linux',
      homedir: home,
    })
    expect(set.size).toBe(4)
    expect(set.locations.map((l) => [l.location, l.status, l.count])).toEqual([
      ['SOPS_AGE_KEY', 'found', 2],
      [`SOPS_AGE_KEY_FILE=${keyFile}`, 'found', 1],
      [path.join(cfg, 'sops', 'age', 'keys.txt'), 'found', 1],
    ])
    expect((await set.recipients()).sort()).toEqual((await Promise.all([a, b, c, d].map((k) => identityToRecipient(k)))).sort())
  })

  it('reports each place as not set / not found when there is nothing', async () => {
    const home = tempDir()
    const set = await discoverAgeIdentities({env: {SOPS_AGE_KEY_FILE: path.join(home, 'nope.txt')}, platform: 'linux', homedir: home})
    expect(set.size).toBe(0)
    expect(set.describeLocations()).toBe(
      `SOPS_AGE_KEY (not set), SOPS_AGE_KEY_FILE=${path.join(home, 'nope.txt')} (not found), ${path.join(home, '.config', 'sops', 'age', 'keys.txt')} (not found)`,
    )
  })

  it('looks at AGE_IDENTITY_FILE first, only for plain age files', async () => {
    const home = tempDir()
    const id = await generateX25519Identity()
    const file = writeIn(home, 'id.txt', `${id}\n`)
    const forAge = await discoverAgeIdentities({
      env: {AGE_IDENTITY_FILE: file},
      includeAgeIdentityFile: true,
      homedir: home,
      platform: 'linux',
    })
    expect(forAge.size).toBe(1)
    expect(forAge.locations[0]).toMatchObject({location: `AGE_IDENTITY_FILE=${file}`, status: 'found'})
    const forSops = await discoverAgeIdentities({env: {AGE_IDENTITY_FILE: file}, homedir: home, platform: 'linux'})
    expect(forSops.size).toBe(0)
  })

  it('names unsupported ways of giving keys instead of ignoring them silently', async () => {
    const set = await discoverAgeIdentities({env: {SOPS_AGE_KEY_CMD: 'pass show age'}, homedir: tempDir(), platform: 'linux'})
    expect(set.describeLocations()).toContain('SOPS_AGE_KEY_CMD (unreadable)')
    expect(set.locations.find((l) => l.location === 'SOPS_AGE_KEY_CMD')?.problems).toEqual(['not supported by secretctl'])
  })

  it('never shows an identity in inspect() or JSON', async () => {
    const id = await generateX25519Identity()
    const set = await discoverAgeIdentities({env: {SOPS_AGE_KEY: id}, homedir: tempDir(), platform: 'linux'})
    expect(inspect(set, {depth: 10, showHidden: true})).not.toContain(id)
    expect(JSON.stringify(set)).not.toContain(id)
    expect(JSON.stringify(set)).toContain('"size":1')
  })
})

describe('parseIdentityText', () => {
  it('skips blank and # lines, reports bad lines by number without quoting them', async () => {
    const id = await generateX25519Identity()
    const broken = `${id.slice(0, -3)}QQQ`
    const r = await parseIdentityText(`# k\n\n${id}\r\n${broken}\nAGE-PLUGIN-YUBIKEY-1XYZ\nhello\n`)
    expect(r.identities).toEqual([id])
    expect(r.problems).toEqual([
      'line 4: not an age identity (AGE-SECRET-KEY-1…)',
      'line 5: age plugin identities are not supported',
      'line 6: not an age identity (AGE-SECRET-KEY-1…)',
    ])
    expect(r.problems.join('\n')).not.toContain(broken)
  })

  it('recognises a passphrase-protected identity file', async () => {
    expect((await parseIdentityText('-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n')).problems[0]).toContain(
      'passphrase-protected',
    )
  })
})
