/**
 * Environments (`environments:` in secretctl.yaml): one manifest set for local, staging and
 * production, as kmcp keeps one `.env.<environment>` per environment. Which one a run is for comes
 * from `--env`, then SECRETCTL_ENV, then `defaultEnvironment`; a project without `environments:`
 * has none and behaves as before.
 */
import type {ProjectConfig} from '../manifests/types.js'
import {UsageError} from '../errors.js'

export interface Environment {
  name: string
  /** `${vars.NAME}` values. */
  vars: Record<string, string>
  /** The environment's own `state:`, as written. */
  state?: string
}

export interface EnvironmentChoice {
  /** `--env`. */
  flag?: string
  /** SECRETCTL_ENV. */
  variable?: string
}

/** The environment of a run, or null for a project that declares none. Errors name the flag or variable and list the declared ones. */
export function selectEnvironment(config: ProjectConfig, choice: EnvironmentChoice): Environment | null {
  const declared = config.environments ?? {}
  const names = Object.keys(declared)
  const asked = choice.flag ?? choice.variable
  const where = choice.flag !== undefined ? `--env ${choice.flag}` : `SECRETCTL_ENV=${choice.variable}`
  const configFile = config.file ?? 'secretctl.yaml'
  if (!names.length) {
    if (asked === undefined || asked === '') return null
    throw new UsageError(
      `${where}: ${configFile} declares no environments`,
      'declare them under environments: in secretctl.yaml, or drop the flag',
    )
  }
  const name = asked || config.defaultEnvironment
  if (name === undefined) {
    throw new UsageError(
      `${configFile} declares environments (${names.join(', ')}) but no defaultEnvironment`,
      'choose one with --env NAME or SECRETCTL_ENV, or set defaultEnvironment',
    )
  }
  const env = declared[name]
  if (!env) {
    const source = asked ? where : `defaultEnvironment: ${name} in ${configFile}`
    throw new UsageError(`${source}: no environment named ${name}`, `declared environments: ${names.join(', ')}`)
  }
  return {name, vars: {...(env.vars ?? {})}, ...(env.state !== undefined ? {state: env.state} : {})}
}
