/**
 * `fromAge: PATH`: the whole plaintext of an age-encrypted file (binary, or ASCII-armored as
 * `age -a` writes it), for single values such as certificates and keys. Identities come from
 * `AGE_IDENTITY_FILE`, then the places SOPS looks (src/formats/age-identities.ts). The plaintext
 * must be UTF-8 text, as for `fromFile`; the file is decrypted once per run.
 */
import {declaredFile} from './value-files.js'
import {ageEncoding, ageStanzaTypes, decryptAge, describeStanzas} from '../formats/age-file.js'
import {EncryptedFileError} from '../formats/format-errors.js'
import {
  cipherDigest,
  keyOf,
  NOT_UTF8,
  type OpenContext,
  OpenedFile,
  openEncryptedFile,
  runIdentities,
  type Unreadable,
  utf8Text,
} from './encrypted-files.js'
import type {KeySourceKind} from './source-kind.js'

export interface AgeSource {
  kind: 'age'
  /** Absolute path of the age file. */
  path: string
  declaredPath: string
}

/** The whole file is one value: its key in the opened file. */
const WHOLE = ''
const AUTH = 'payload authentication'

function openAge(absPath: string, ctx: OpenContext): Promise<OpenedFile | Unreadable> {
  return openEncryptedFile(ctx, absPath, 'age', async (bytes, display) => {
    const cipher = new Map([[WHOLE, cipherDigest(bytes)]])
    const encoding = ageEncoding(bytes)
    const stanzas = await ageStanzaTypes(bytes)
    const report = {file: display, format: encoding ? `age (${encoding})` : 'age', recipients: stanzas ? [describeStanzas(stanzas)] : []}
    const fail = (err: EncryptedFileError) => {
      const integrity = {check: AUTH, status: err.problem === 'truncated' ? ('failed' as const) : ('not checked' as const)}
      return new OpenedFile({cipher, failure: err, report: {...report, decrypts: false, problem: err.message, integrity}})
    }
    let plain: Uint8Array
    try {
      plain = await decryptAge(bytes, display, await runIdentities(ctx, true))
    } catch (err) {
      if (err instanceof EncryptedFileError) return fail(err)
      throw err
    }
    const text = utf8Text(plain)
    if (text === undefined) {
      return fail(new EncryptedFileError('malformed', display, `decrypts to bytes that are not UTF-8 text; ${NOT_UTF8.hint}`))
    }
    return new OpenedFile({
      cipher,
      values: new Map([[WHOLE, text]]),
      report: {...report, decrypts: true, integrity: {check: AUTH, status: 'verified'}},
    })
  })
}

export const fromAge: KeySourceKind<AgeSource> = {
  kind: 'age',
  field: 'fromAge',
  level: 'key',
  summary: 'An age-encrypted file (binary or armored, relative to this manifest file) whose whole plaintext is the value.',
  schema: {type: 'string', minLength: 1},
  build: (raw, ctx) => ({kind: 'age', ...declaredFile(raw, ctx)}),
  valueFile: (source) => source.path,
  async resolve(source, ctx) {
    return keyOf(await openAge(source.path, ctx), WHOLE, ctx, {
      source: 'age',
      what: `fromAge ${source.declaredPath}`,
      missing: () => ({message: `fromAge ${source.declaredPath} holds no value`}),
    })
  },
}
