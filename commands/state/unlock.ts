import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../_shared/base-command.js'
import {openStateReadOnly} from '../_shared/open-state-readonly.js'
import {confirm} from '../_shared/confirm.js'
import {UsageError} from '../../src/errors.js'

export default class StateUnlock extends BaseCommand {
  static override summary = 'Remove a state lock left behind by a run that died.'
  static override description =
    'Only for a holder that is gone (killed, crashed): removing the lock of a live run lets two writers trample each other. The lock ID is in the refusal message of the command that found the state locked.'
  static override examples = ['<%= config.bin %> state unlock 3f0c…', '<%= config.bin %> state unlock 3f0c… --force   # no question asked']
  static override args = {lockId: Args.string({description: 'the lock ID from the refusal message', required: true})}
  static override flags = {force: Flags.boolean({description: 'remove without asking'})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(StateUnlock)
    const state = await openStateReadOnly(flags)
    try {
      const lock = (await state.listLocks()).find((l) => l.lockId === args.lockId)
      if (!lock)
        throw new UsageError(
          `no lock with ID ${args.lockId} on ${state.location}`,
          'nothing to unlock; `secretctl history` shows recent runs',
        )
      this.print(`Lock ${lock.lockId}: held by ${lock.actor} on ${lock.host} (pid ${lock.pid}, \`${lock.command}\`) since ${lock.since}.\n`)
      if (!flags.force) {
        if (!process.stdin.isTTY)
          throw new UsageError(
            'refusing to remove a lock without confirmation: not running at a terminal',
            'add --force if you are sure the holder is gone',
          )
        if (!(await confirm('Remove it? Only "yes" is accepted: '))) return this.print('Kept the lock.\n')
      }
      await state.removeLock(lock.lockId)
      this.print('Lock removed.\n')
    } finally {
      await state.close()
    }
  }
}
