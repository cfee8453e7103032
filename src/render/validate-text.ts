/** What `validate` found, as a person reads it: the counts, the value files beside the manifests, each encrypted file's status, warnings. */
import type {ChalkInstance} from 'chalk'
import type {ValidationSummary, ValueFileReport} from '../operations/validate-manifests.js'
import {plain} from './colour.js'

export function renderValidationText(v: ValidationSummary, colour: ChalkInstance = plain): string {
  const env = v.environment ? ` (environment ${v.environment})` : ''
  const lines = [`${colour.green('Valid:')} ${v.backends} backend(s), ${v.secrets} secret(s) in ${v.files} file(s)${env}.`]
  for (const f of v.valueFiles) lines.push(`${f.file}: ${f.format} value file, not a manifest`)
  if (v.encryptedFiles.length) {
    lines.push('', 'Encrypted value files:')
    for (const f of v.encryptedFiles) lines.push(...encryptedFile(f, colour))
  }
  if (v.warnings.length) lines.push('', ...v.warnings.map((w) => colour.yellow(`Warning: ${w}`)))
  return `${lines.join('\n')}\n`
}

function encryptedFile(f: ValueFileReport, colour: ChalkInstance): string[] {
  const decrypts = f.decrypts ? colour.green('yes') : colour.yellow('no')
  const integrity = f.integrity.status === 'failed' ? colour.red('FAILED') : f.integrity.status
  return [
    `  ${f.file}  ${colour.dim(f.format)}`,
    `    recipients: ${f.recipients.length ? f.recipients.join(', ') : '(none readable)'}`,
    `    decrypts here: ${decrypts}; ${f.integrity.check}: ${integrity}`,
    ...(f.problem ? [`    ${colour.dim(f.problem)}`] : []),
  ]
}
