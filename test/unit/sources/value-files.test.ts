/**
 * Hostile value files (issue 11, item 9): a device or FIFO never hangs a run, files outside the
 * manifests directory (and the state) are refused unless secretctl.yaml allows their directory,
 * binary content is refused clearly, a dotenv line that is not KEY=VALUE is an error with its line,
 * and symbolic links are followed inside the directory and reported when they lead outside.
 */
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {ManifestErrors} from '../../../src/errors.js'
import {loadManifests} from '../../../src/manifests/load-manifests.js'
import {resolveValues} from '../../../src/sources/resolve-values.js'
import {MAX_VALUE_FILE_BYTES} from '../../../src/sources/value-files.js'

function tree(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'secretctl-hostile-'))
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), {recursive: true})
    writeFileSync(path.join(dir, file), content)
  }
  return dir
}

async function problems(dir: string): Promise<string[]> {
  const err = await loadManifests(dir)
    .then((m) => resolveValues(m, {env: {}}))
    .then(
      () => undefined,
      (e: unknown) => e,
    )
  expect(err).toBeInstanceOf(ManifestErrors)
  return (err as ManifestErrors).problems.map((p) => `${p.file}:${p.line} ${p.field}: ${p.message}`)
}

const fromFile = (file: string) => `kind: Secret\nname: app\ndata:\n  V: {fromFile: ${JSON.stringify(file)}}\n`

describe('value files', () => {
  it('a device and a FIFO are refused at once, never read', async () => {
    expect(await problems(tree({'s.yaml': fromFile('/dev/zero')}))).toEqual([
      expect.stringMatching(/^s\.yaml:4 data\.V\.fromFile: secret app, key V: file \/dev\/zero is outside the manifests directory/),
    ])
    const dir = tree({'s.yaml': fromFile('fifo'), 'secretctl.yaml': 'allowedFileRoots: [/dev]\n'})
    execFileSync('mkfifo', [path.join(dir, 'fifo')])
    expect(await problems(dir)).toEqual([expect.stringContaining('file fifo is not a regular file (a device, FIFO or socket)')])
    const zero = tree({'s.yaml': fromFile('/dev/zero'), 'secretctl.yaml': 'allowedFileRoots: [/dev]\n'})
    expect(await problems(zero)).toEqual([expect.stringContaining('file /dev/zero is not a regular file')])
  })

  it('files outside the directory and the state are refused; an allowed root is read', async () => {
    expect(await problems(tree({'s.yaml': fromFile('/etc/hostname')}))).toEqual([
      expect.stringContaining('is outside the manifests directory'),
    ])
    expect(await problems(tree({'sub/s.yaml': fromFile('../../etc/os-release')}))).toEqual([
      expect.stringContaining('is outside the manifests directory'),
    ])
    expect(await problems(tree({'s.yaml': fromFile('.secretctl/state.db'), '.secretctl/state.db': 'x'}))).toEqual([
      expect.stringContaining('is inside .secretctl/, where the state lives'),
    ])
    const outside = mkdtempSync(path.join(tmpdir(), 'secretctl-allowed-'))
    writeFileSync(path.join(outside, 'ca.pem'), 'CERT')
    const dir = tree({
      's.yaml': fromFile(path.join(outside, 'ca.pem')),
      'secretctl.yaml': `allowedFileRoots: [${JSON.stringify(outside)}]\n`,
    })
    const values = await resolveValues(await loadManifests(dir), {env: {}})
    expect(values.get('app')?.get('V')).toEqual({source: 'file', value: 'CERT'})
  })

  it('a link inside the directory is followed; one leading outside is refused', async () => {
    const dir = tree({'s.yaml': fromFile('link'), 'real.txt': 'inside'})
    symlinkSync(path.join(dir, 'real.txt'), path.join(dir, 'link'))
    expect((await resolveValues(await loadManifests(dir), {env: {}})).get('app')?.get('V')).toEqual({source: 'file', value: 'inside'})
    const out = tree({'s.yaml': fromFile('link')})
    symlinkSync('/etc/hostname', path.join(out, 'link'))
    expect(await problems(out)).toEqual([expect.stringContaining('is outside the manifests directory (resolved to /etc/hostname)')])
  })

  // Links named with a dot: the manifests' walk (discover-files.ts) skips them, the value files are what is tested.
  it('a linked folder is followed inside the directory and refused when it leads outside, for every file in it', async () => {
    const outside = tree({hostname: 'OUTSIDE', other: 'OUTSIDE'})
    const dir = tree({
      's.yaml': `kind: Secret\nname: app\ndata:\n  A: {fromFile: .in/a}\n  B: {fromFile: .out/hostname}\n  C: {fromFile: .out/other}\n  D: {fromFile: .in/link}\n`,
      'real/a': 'inside',
    })
    symlinkSync(path.join(dir, 'real'), path.join(dir, '.in'))
    symlinkSync(outside, path.join(dir, '.out'))
    // A link to a file inside a linked folder inside the directory: both followed.
    symlinkSync(path.join(dir, '.in', 'a'), path.join(dir, 'real', 'link'))
    expect(await problems(dir)).toEqual([
      expect.stringContaining(
        `data.B.fromFile: secret app, key B: file .out/hostname is outside the manifests directory (resolved to ${path.join(outside, 'hostname')})`,
      ),
      expect.stringContaining(
        `data.C.fromFile: secret app, key C: file .out/other is outside the manifests directory (resolved to ${path.join(outside, 'other')})`,
      ),
    ])
    const inside = tree({
      's.yaml': 'kind: Secret\nname: app\ndata:\n  A: {fromFile: .in/a}\n  D: {fromFile: .in/link}\n',
      'real/a': 'inside',
    })
    symlinkSync(path.join(inside, 'real'), path.join(inside, '.in'))
    symlinkSync('a', path.join(inside, 'real', 'link'))
    const values = (await resolveValues(await loadManifests(inside), {env: {}})).get('app')
    expect([values?.get('A')?.value, values?.get('D')?.value]).toEqual(['inside', 'inside'])
    // The manifests directory itself reached through a link (as /tmp is on macOS).
    const viaLink = `${inside}-link`
    symlinkSync(inside, viaLink)
    const linked = (await resolveValues(await loadManifests(viaLink), {env: {}})).get('app')
    expect([linked?.get('A')?.value, linked?.get('D')?.value]).toEqual(['inside', 'inside'])
  })

  it('a link (named with a dot: the manifest walk skips it) to the state or to a missing file is refused with its own reason', async () => {
    const dir = tree({
      's.yaml': `kind: Secret\nname: app\ndata:\n  A: {fromFile: .st/state.db}\n  B: {fromFile: .gone/x}\n  C: {fromFile: .dangling}\n`,
      '.secretctl/state.db': 'x',
    })
    symlinkSync(path.join(dir, '.secretctl'), path.join(dir, '.st'))
    symlinkSync(path.join(dir, 'nowhere'), path.join(dir, '.gone'))
    symlinkSync(path.join(dir, 'nowhere'), path.join(dir, '.dangling'))
    expect(await problems(dir)).toEqual([
      expect.stringContaining('file .st/state.db is inside .secretctl/, where the state lives'),
      expect.stringContaining('file .gone/x does not exist'),
      expect.stringContaining('file .dangling does not exist'),
    ])
  })

  it('binary content and files past the size limit are refused clearly, naming the file', async () => {
    expect(await problems(tree({'s.yaml': fromFile('bin'), bin: Buffer.from([0x41, 0xff, 0xfe, 0x42])}))).toEqual([
      expect.stringContaining('file bin is not UTF-8 text'),
    ])
    expect(await problems(tree({'s.yaml': fromFile('big'), big: Buffer.alloc(MAX_VALUE_FILE_BYTES + 1, 0x61)}))).toEqual([
      expect.stringContaining('file big is larger than 1 MiB'),
    ])
  })

  it('a dotenv line that is not KEY=VALUE is an error naming the file and the line; quoted multi-line values are fine', async () => {
    const dir = tree({
      's.yaml': 'kind: Secret\nname: app\nenvFile: app.env\n',
      'app.env': 'A=1\nB="two\nlines"\nnot an assignment\n# comment\nC=3\n',
    })
    expect(await problems(dir)).toEqual(['s.yaml:3 envFile: secret app: envFile app.env line 4: not KEY=VALUE'])
  })
})

describe('manifest files', () => {
  it('a linked manifest inside the directory is read; a link to outside is reported, not skipped', async () => {
    const dir = tree({'real/s.yaml': 'kind: Secret\nname: app\ndata: {A: {fromEnv: A}}\n'})
    symlinkSync(path.join(dir, 'real'), path.join(dir, 'linked'))
    const model = await loadManifests(dir)
    expect(model.secrets.map((s) => s.name)).toEqual(['app'])
    const outside = tree({'other.yaml': 'kind: Secret\nname: other\n'})
    symlinkSync(path.join(outside, 'other.yaml'), path.join(dir, 'other.yaml'))
    const err = (await loadManifests(dir).catch((e: unknown) => e)) as ManifestErrors
    expect(err.problems).toEqual([
      expect.objectContaining({file: 'other.yaml', message: 'a symbolic link to outside the manifests directory: not read'}),
    ])
  })
})
