/** What `validate` found: the counts, and warnings that do not fail it. */
import type {ChalkInstance} from 'chalk'
import type {ValidationSummary} from '../operations/validate-manifests.js'
import {plain} from './colour.js'

export function renderValidation(v: ValidationSummary, colour: ChalkInstance = plain): string {
  const env = v.environment ? ` (environment ${v.environment})` : ''
  const lines = [`${colour.green('Valid:')} ${v.backends} backend(s), ${v.secrets} secret(s) in ${v.files} file(s)${env}.`]
  for (const w of v.warnings) lines.push(colour.yellow(`Warning: ${w}`))
  return `${lines.join('\n')}\n`
}
