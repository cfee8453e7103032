import {createHash} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {loadManifests} from '../../../src/manifests/load-manifests.js'
import {writeTree} from './temp-tree.js'

const FILES = {
  'b.yaml': 'kind: SecretBackend\nname: local\ntype: plaintext\n',
  'a/s.yaml': 'kind: Secret\nname: x\n',
  'secretctl.yaml': 'state: state.db\n',
}

describe('manifests digest', () => {
  it('is sha256 over the sorted files: path NUL content NUL', async () => {
    const model = await loadManifests(writeTree(FILES))
    const hash = createHash('sha256')
    for (const file of ['a/s.yaml', 'b.yaml', 'secretctl.yaml']) hash.update(`${file}\0${FILES[file as keyof typeof FILES]}\0`)
    expect(model.digest).toBe(hash.digest('hex'))
  })

  it('is stable across directories and loads', async () => {
    const a = await loadManifests(writeTree(FILES))
    const b = await loadManifests(writeTree(FILES))
    expect(b.digest).toBe(a.digest)
  })

  it('changes with a file content, a file name, and secretctl.yaml', async () => {
    const dir = writeTree(FILES)
    const before = (await loadManifests(dir)).digest
    writeFileSync(path.join(dir, 'b.yaml'), FILES['b.yaml'] + 'description: changed\n')
    const edited = (await loadManifests(dir)).digest
    expect(edited).not.toBe(before)

    const {'a/s.yaml': moved, ...rest} = FILES
    expect((await loadManifests(writeTree({...rest, 'a/t.yaml': moved}))).digest).not.toBe(before)
    expect((await loadManifests(writeTree({...FILES, 'secretctl.yaml': 'state: other.db\n'}))).digest).not.toBe(before)
  })

  it('ignores files that are not manifests', async () => {
    const base = (await loadManifests(writeTree(FILES))).digest
    expect((await loadManifests(writeTree({...FILES, 'notes.txt': 'hello', '.secretctl/x.yaml': 'kind: x\n'}))).digest).toBe(base)
  })
})
