import {Args} from '@oclif/core'
import {BaseCommand, lockFlags, lockTimeoutMs} from '../_shared/base-command.js'
import {openWorkspace} from '../../src/engine/workspace.js'
import {withStateLock} from '../../src/engine/with-state-lock.js'
import {applyPlan} from '../../src/apply/apply-plan.js'
import {resolveActor} from '../../src/engine/actor.js'
import {summarise, tokenRotation} from '../../src/plan/compute-plan.js'
import {FORMAT_VERSION} from '../../src/plan/types.js'
import {renderApplyText} from '../../src/render/apply-text.js'
import {UsageError} from '../../src/errors.js'

export default class RotateBackend extends BaseCommand {
  static override summary = "Rotate a backend's token now, whatever its age."
  static override description =
    "Mints a successor through the backend's token role, verifies it (periodic, renewable, can write/read/delete under the prefix), stores it on the trust root with its metadata in one transaction, then revokes the old token. A failed mint or verify keeps the old token and exits 1."
  static override examples = ['<%= config.bin %> rotate backend bao -d infra/secrets']
  static override args = {name: Args.string({description: 'the backend', required: true})}
  static override flags = {...lockFlags}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(RotateBackend)
    const ws = await openWorkspace({dir: flags.dir, state: flags.state, env: process.env, stateAccess: 'write'})
    try {
      const declared = ws.desired.backends.find((b) => b.name === args.name)
      if (!declared?.rotation)
        throw new UsageError(
          `backend ${args.name} has no rotation settings in the manifests`,
          'add `rotation: {tokenRole, policy, period, ttl}` to its manifest (secretctl bootstrap openbao writes them)',
        )
      await withStateLock(
        ws.state,
        {
          command: `rotate backend ${args.name}`,
          timeoutMs: lockTimeoutMs(flags['lock-timeout']),
          env: process.env,
          onTakeover: this.sayTakeover,
        },
        async () => {
          const meta = await ws.state.meta()
          const change = tokenRotation(args.name, 'rotation requested')
          const plan = {
            formatVersion: FORMAT_VERSION,
            lineage: meta.lineage,
            serial: meta.serial,
            manifestsDigest: ws.desired.digest,
            sourceFingerprints: {},
            options: {prune: false, rotate: true, targets: [change.address]},
            changes: [change],
            summary: summarise([change]),
            warnings: [],
          }
          const result = await applyPlan(plan, {
            state: ws.state,
            desired: ws.desired,
            values: ws.values,
            drivers: ws.drivers,
            actor: resolveActor(process.env),
            concurrency: ws.concurrency,
          })
          this.print(renderApplyText(result, this.colour))
          if (!result.ok) process.exitCode = 1
        },
      )
    } finally {
      await ws.close()
    }
  }
}
