/**
 * `secretctl import openbao --backend NAME [--path PREFIX]`: the secrets already in the backend's
 * folder (`mount/pathPrefix`), adopted where they are. The driver reads a secret at
 * `mount/pathPrefix/NAME`, so a secret keeps its KV name as its secretctl name: a name secretctl
 * cannot take (`GitHub_Token`) is skipped with the name to rename it to, and so is a sub-folder
 * (secretctl names are flat), with the backend to declare to import it. `--path` narrows the
 * listing to the names that start with it. OpenBao marks no ownership: nothing is written there.
 */
import {UsageError} from '../../errors.js'
import {importName, isValidName} from '../../import/import-names.js'
import type {BackendDriver} from '../driver.js'
import type {BackendImport, ImportCandidates, ImportOptions} from '../kind.js'
import type {OpenBaoDriver} from './openbao-driver.js'

export const openBaoImport: BackendImport = {
  async find(driver: BackendDriver, options: ImportOptions): Promise<ImportCandidates> {
    const bao = driver as OpenBaoDriver
    const {ref: folder, pathPrefix} = bao.folder()
    const under = (sub: string) => [pathPrefix, sub].filter(Boolean).join('/')
    const prefix = (options.path ?? '').replace(/^\/+/, '')
    if (prefix.includes('/')) {
      throw new UsageError(
        `--path ${options.path} names a folder under ${folder}; backend ${driver.name} reads secrets at ${folder}/NAME only (secretctl names are flat)`,
        `declare a backend with the same url and token and pathPrefix: ${under(prefix.replace(/\/+$/, ''))}, apply it, and import from it`,
      )
    }
    const {secrets, folders} = await bao.listFolder()
    const out: ImportCandidates = {origin: `${folder}${prefix ? ` (names starting with ${prefix})` : ''}`, found: [], skipped: []}
    for (const name of secrets.filter((n) => n.startsWith(prefix))) {
      const sourceName = `${folder}/${name}`
      if (isValidName(name)) out.found.push({sourceName, name, externalRef: bao.refFor(name), claim: false})
      else
        out.skipped.push({
          sourceName,
          reason: `not a valid secretctl name, and the backend reads a secret by its name: rename it on OpenBao (e.g. to ${importName(name)}) and import again`,
        })
    }
    for (const sub of folders.filter((f) => f.startsWith(prefix))) {
      out.skipped.push({
        sourceName: `${folder}/${sub}/`,
        reason: `a folder: declare a backend with pathPrefix: ${under(sub)} to import what is in it`,
      })
    }
    return out
  },
}
