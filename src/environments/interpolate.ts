/**
 * `${env}` and `${vars.NAME}` in the fields of a manifest that say where things are (a backend's
 * config, a secret's `backend:` and its value sources' names and paths), replaced by the selected
 * environment's name and variables. Never in a value, and never from the process environment
 * (values come from `fromEnv`). `$${` writes a literal `${`. A project without environments is
 * left exactly as written.
 */
import type {ManifestProblem} from '../errors.js'
import type {ParsedDocument} from '../manifests/positions.js'
import {problemAt} from '../manifests/problems.js'
import {secretSources} from '../sources/registry.js'
import type {Environment} from './environment.js'

const PLACEHOLDER = /\$(\$?)\{([^}]*)\}/g

/** The text with its placeholders replaced, or the problem with the first one that cannot be. */
export function interpolateText(text: string, env: Environment): {text: string} | {problem: string; hint: string} {
  let problem: {problem: string; hint: string} | undefined
  const out = text.replace(PLACEHOLDER, (whole, escaped: string, name: string) => {
    if (escaped) return whole.slice(1)
    if (name === 'env') return env.name
    const variable = /^vars\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(name)?.[1]
    if (variable !== undefined && Object.hasOwn(env.vars, variable)) return env.vars[variable] as string
    problem ??=
      variable !== undefined
        ? {
            problem: `\${vars.${variable}} is not defined in environment ${env.name}`,
            hint: `add it under environments.${env.name}.vars in secretctl.yaml`,
          }
        : {
            problem: `unknown placeholder \${${name}} (environment ${env.name})`,
            hint: 'only ${env} and ${vars.NAME} are replaced; the process environment is never read here (take values with fromEnv)',
          }
    return whole
  })
  return problem ?? {text: out}
}

/** The fields of a document of `kind` that are interpolated: every string below each. */
function interpolatedFields(kind: 'SecretBackend' | 'Secret'): string[][] {
  return kind === 'SecretBackend' ? [['config']] : [['backend'], ['data'], ...secretSources().map((s) => [s.field])]
}

/** Replaces placeholders in `doc.value` in place; problems name the field and the environment. Returns how many it added. */
export function interpolateDocument(
  doc: ParsedDocument,
  kind: 'SecretBackend' | 'Secret',
  env: Environment | null,
  problems: ManifestProblem[],
): number {
  if (!env) return 0
  const before = problems.length
  const root = doc.value as Record<string, unknown>
  const visit = (holder: Record<string, unknown> | unknown[], key: string | number, at: string[]): void => {
    const value = (holder as Record<string | number, unknown>)[key]
    if (typeof value === 'string') {
      if (!value.includes('${')) return
      const result = interpolateText(value, env)
      if ('text' in result) (holder as Record<string | number, unknown>)[key] = result.text
      else problems.push(problemAt(doc, at, result.problem, {hint: result.hint}))
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) visit(value, i, [...at, String(i)])
    } else if (value !== null && typeof value === 'object')
      for (const k of Object.keys(value)) visit(value as Record<string, unknown>, k, [...at, k])
  }
  for (const [field] of interpolatedFields(kind)) if (field !== undefined && field in root) visit(root, field, [field])
  return problems.length - before
}
