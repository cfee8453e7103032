/** What `bootstrap` did, step by step, and what to do next. */
import type {ChalkInstance} from 'chalk'
import type {BootstrapResult} from '../operations/bootstrap-backend.js'
import {plain} from './colour.js'

export function renderBootstrap(
  result: BootstrapResult,
  o: {name: string; dir: string; isDefault: boolean},
  colour: ChalkInstance = plain,
): string {
  const lines = result.steps.map((step) => `${colour.green('✓')} ${step}`)
  lines.push(
    '',
    `Next: move secrets to ${o.name} by setting \`backend: ${o.name}\` in their manifests${o.isDefault ? ' (or leave `backend:` out: it is now the default)' : ''}, then`,
    `  secretctl plan -d ${o.dir}`,
    `  secretctl apply -d ${o.dir}`,
  )
  return `${lines.join('\n')}\n`
}
