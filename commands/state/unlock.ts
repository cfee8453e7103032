import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../_shared/base-command.js'
import {askAtTerminal} from '../_shared/confirm.js'
import {unlockState} from '../../src/operations/unlock-state.js'

export default class StateUnlock extends BaseCommand {
  static override summary = 'Remove a state lock left behind by a run that died.'
  static override description =
    'For a holder that is gone (killed, crashed) or on another host: removing the lock of a live run lets two writers trample each other, so a holder still running on this host is refused, --force or not. (A run finds a holder that died on this host by itself, and takes its lock over.) The lock ID is in the refusal message of the command that found the state locked. The removal is recorded in history.'
  static override examples = ['<%= config.bin %> state unlock 3f0c…', '<%= config.bin %> state unlock 3f0c… --force   # no question asked']
  static override args = {lockId: Args.string({description: 'the lock ID from the refusal message', required: true})}
  static override flags = {force: Flags.boolean({description: 'remove without asking (never the lock of a process running on this host)'})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(StateUnlock)
    const ask = askAtTerminal('refusing to remove a lock without confirmation: not running at a terminal', 'Kept the lock.')
    const r = await unlockState({...this.where(flags), lockId: args.lockId, confirm: flags.force ? undefined : ask})
    this.print(`${r.removed ? 'Lock removed.' : 'Kept the lock.'} (${r.lock.lockId}, held by ${r.holder})\n`)
  }
}
