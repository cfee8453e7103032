import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../_shared/base-command.js'
import {confirm} from '../_shared/confirm.js'
import {UsageError} from '../../src/errors.js'
import {resolveActor} from '../../src/engine/actor.js'
import {openStateFor} from '../../src/engine/workspace.js'
import {readProjectConfig} from '../../src/manifests/project-config.js'
import {assertRemovable, describeHolder} from '../../src/state/state-lock.js'

export default class StateUnlock extends BaseCommand {
  static override summary = 'Remove a state lock left behind by a run that died.'
  static override description =
    'For a holder that is gone (killed, crashed) or on another host: removing the lock of a live run lets two writers trample each other, so a holder still running on this host is refused, --force or not. (A run finds a holder that died on this host by itself, and takes its lock over.) The lock ID is in the refusal message of the command that found the state locked. The removal is recorded in history.'
  static override examples = ['<%= config.bin %> state unlock 3f0c…', '<%= config.bin %> state unlock 3f0c… --force   # no question asked']
  static override args = {lockId: Args.string({description: 'the lock ID from the refusal message', required: true})}
  static override flags = {force: Flags.boolean({description: 'remove without asking (never the lock of a process running on this host)'})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(StateUnlock)
    const config = await readProjectConfig(flags.dir)
    const state = await openStateFor(config.state, {dir: flags.dir, state: flags.state, env: process.env, stateAccess: 'write'})
    try {
      const lock = (await state.listLocks()).find((l) => l.lockId === args.lockId)
      if (!lock)
        throw new UsageError(
          `no lock with ID ${args.lockId} on ${state.location}`,
          'nothing to unlock; `secretctl history` shows recent runs',
        )
      this.print(`Lock ${lock.lockId}: held by ${describeHolder(lock)}.\n`)
      const status = assertRemovable(lock)
      if (!flags.force) {
        if (!process.stdin.isTTY)
          throw new UsageError(
            'refusing to remove a lock without confirmation: not running at a terminal',
            'add --force if you are sure the holder is gone',
          )
        const where = status === 'gone' ? 'That process is no longer running on this host.' : `It is on ${lock.host}: make sure it is gone.`
        if (!(await confirm(`${where} Remove it? Only "yes" is accepted: `))) return this.print('Kept the lock.\n')
      }
      await state.removeLock(lock.lockId, {actor: resolveActor(process.env)})
      this.print('Lock removed.\n')
    } finally {
      await state.close()
    }
  }
}
