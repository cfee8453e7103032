/** Who is running secretctl, for the audit table: SECRETCTL_ACTOR, else the CI's user, else the OS user. */
import {userInfo} from 'node:os'

export function resolveActor(env: NodeJS.ProcessEnv): string {
  if (env.SECRETCTL_ACTOR) return env.SECRETCTL_ACTOR
  if (env.GITHUB_ACTIONS && env.GITHUB_ACTOR) return `github:${env.GITHUB_ACTOR}`
  if (env.GITLAB_CI && env.GITLAB_USER_LOGIN) return `gitlab:${env.GITLAB_USER_LOGIN}`
  try {
    return userInfo().username
  } catch {
    return env.USER ?? 'unknown'
  }
}
