import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../_shared/base-command.js'
import {askAtTerminal} from '../_shared/confirm.js'
import {lockFlags, lockTimeoutMs, outputFlags, outputFormat} from '../_shared/flags.js'
import {removeStateRecords} from '../../src/operations/state-records.js'
import {renderStateRemoval} from '../../src/render/tables.js'

const REFUSAL = 'refusing to forget records without confirmation: not running at a terminal'

export default class StateRm extends BaseCommand {
  static override summary = 'Forget secrets, copies or backends in the state without touching any backend.'
  static override description =
    'What they hold stays where it is, unmanaged; a secret still in the manifests is planned as new (a create) by the next plan. A backend is forgotten only with nothing left on it, never `default` or the default backend. All addresses or none; takes the state lock, asks first (--force in scripts; refused without it when not at a terminal), and is recorded in history.'
  static override examples = [
    '<%= config.bin %> state rm secret.github',
    '<%= config.bin %> state rm secret.legacy@bao backend.bao --force',
  ]
  static override strict = false
  static override args = {
    address: Args.string({description: 'backend.NAME, secret.NAME or secret.NAME@BACKEND (see `state list`)', required: true}),
  }
  static override flags = {
    ...lockFlags,
    ...outputFlags(['text', 'json']),
    force: Flags.boolean({description: 'forget without asking'}),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(StateRm)
    const result = await removeStateRecords({
      ...this.where(flags),
      addresses: argv as string[],
      lockTimeoutMs: lockTimeoutMs(flags['lock-timeout']),
      onTakeover: this.sayTakeover,
      confirm: flags.force ? undefined : askAtTerminal(REFUSAL, 'Kept the records.', {refuseAtOnce: true}),
    })
    this.emit(outputFormat(flags), result, {text: () => renderStateRemoval(result)})
  }
}
