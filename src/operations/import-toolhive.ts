/**
 * `secretctl import toolhive --file PATH`: ToolHive's encrypted secrets file (src/formats/
 * toolhive-store.ts, both formats) as an import source. The password is found the way ToolHive's
 * own processes find it: TOOLHIVE_SECRETS_PASSWORD, then ToolHive's OS keyring entry (service and
 * account `toolhive`, stacklok/toolhive pkg/secrets/factory.go), then a prompt at a terminal.
 * Each ToolHive secret is one value; it becomes a secretctl secret with one key, `value`, which
 * `exec --secret NAME,target=ENV` injects as ToolHive's `--secret NAME,target=ENV` did.
 */
import path from 'node:path'
import {type KeyringSource, resolvePassword} from '../backends/encrypted/password-source.js'
import {readToolhiveStore} from '../formats/toolhive-store.js'
import {type ImportRequest, type ImportResult, importSecrets} from '../import/import-secrets.js'

export const TOOLHIVE_PASSWORD_ENV = 'TOOLHIVE_SECRETS_PASSWORD'
export const TOOLHIVE_KEYRING_ENTRY = {service: 'toolhive', account: 'toolhive'}
/** The key an imported ToolHive secret's value is stored under. */
export const TOOLHIVE_KEY = 'value'

export interface ImportToolhiveRequest extends Omit<ImportRequest, 'source'> {
  /** ToolHive's secrets file (`$XDG_DATA_HOME/toolhive/secrets_encrypted`). */
  file: string
  /** For tests: the keyring to look in, or none; and whether a prompt may be shown. */
  keyring?: KeyringSource
  interactive?: boolean
}

export function importToolhive(req: ImportToolhiveRequest): Promise<ImportResult> {
  const file = path.resolve(req.file)
  const read = async () => {
    const {password} = await resolvePassword({
      backend: 'toolhive',
      subject: 'the ToolHive secrets file',
      passwordEnv: TOOLHIVE_PASSWORD_ENV,
      keyringEntry: TOOLHIVE_KEYRING_ENTRY,
      env: req.env,
      prompt: req.prompt,
      keyring: req.keyring,
      interactive: req.interactive,
    })
    const store = await readToolhiveStore(file, password)
    const items = Object.entries(store.secrets).map(([name, value]) => ({sourceName: name, values: {[TOOLHIVE_KEY]: value}}))
    return {kind: 'toolhive', origin: file, items}
  }
  return importSecrets({...req, source: {kind: 'toolhive', read}})
}
