/**
 * A saved plan is applied only to the world it was computed against: the same state (lineage), at
 * the same serial, with the same manifests and the same source values, all of them known (a plan
 * made without the keys to some encrypted values is for reading only). Each refusal says which.
 */
import type {Plan} from './types.js'
import type {StateMeta} from '../state/types.js'
import {PlanError} from '../errors.js'

export interface CurrentWorld {
  /** The environment of this run; null in a project without environments. */
  environment?: string | null
  meta: StateMeta
  stateLocation: string
  manifestsDigest: string
  sourceFingerprints: Record<string, string>
}

export function checkSavedPlan(plan: Plan, now: CurrentWorld): void {
  if ((plan.environment ?? null) !== (now.environment ?? null)) {
    const made = plan.environment ? `environment ${plan.environment}` : 'a project without environments'
    throw new PlanError(
      `the saved plan was made for ${made}; this run is for ${now.environment ? `environment ${now.environment}` : 'no environment'}`,
      plan.environment ? `apply it with --env ${plan.environment}` : 'apply it without --env',
    )
  }
  if (plan.undecryptable?.length) {
    const files = plan.undecryptable.map((u) => u.file)
    throw new PlanError(
      `the saved plan was made without the keys to decrypt ${files.slice(0, 5).join(', ')}${files.length > 5 ? ', …' : ''}: its values are unknown, so it cannot be applied`,
      'plan again where the keys are (`secretctl plan --out FILE` without --allow-undecryptable), or run `secretctl apply` there',
    )
  }
  if (plan.lineage !== now.meta.lineage) {
    throw new PlanError(
      `the saved plan was made against another state (lineage ${plan.lineage}); ${now.stateLocation} has lineage ${now.meta.lineage}`,
      'run `secretctl plan --out FILE` against this state',
    )
  }
  if (plan.serial !== now.meta.serial) {
    throw new PlanError(
      `the state changed since the plan was made (serial ${plan.serial} → ${now.meta.serial}): another apply ran`,
      'the plan is stale: run `secretctl plan --out FILE` again and review it',
    )
  }
  if (plan.manifestsDigest !== now.manifestsDigest) {
    throw new PlanError('the manifests changed since the plan was made', 'run `secretctl plan --out FILE` again and review it')
  }
  const keys = [...new Set([...Object.keys(plan.sourceFingerprints), ...Object.keys(now.sourceFingerprints)])].sort()
  const changed = keys.filter((k) => plan.sourceFingerprints[k] !== now.sourceFingerprints[k])
  if (changed.length) {
    throw new PlanError(
      `a value source changed since the plan was made: ${changed.slice(0, 5).join(', ')}${changed.length > 5 ? ', …' : ''} (a different environment value or file)`,
      'apply with the same environment and files the plan was made with, or plan again',
    )
  }
}
