import {Flags} from '@oclif/core'
import {BaseCommand} from './_shared/base-command.js'
import {openStateReadOnly} from './_shared/open-state-readonly.js'
import {listRuns} from '../src/engine/history.js'
import {renderTable} from '../src/render/table.js'

export default class History extends BaseCommand {
  static override summary = 'List past applies from the audit table: when, who, what changed, outcome.'
  static override examples = ['<%= config.bin %> history', '<%= config.bin %> history --json --limit 5']
  static override flags = {
    json: Flags.boolean({description: 'print as JSON'}),
    limit: Flags.integer({description: 'how many runs, newest first', default: 20, min: 1}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(History)
    const state = await openStateReadOnly(flags)
    try {
      const runs = await listRuns(state, flags.limit)
      if (flags.json) return this.printJson(runs)
      if (!runs.length) return this.print('No applies recorded yet.\n')
      this.print(
        renderTable(
          ['WHEN', 'ACTOR', 'OUTCOME', 'CHANGES'],
          runs.map((r) => [
            r.at,
            r.actor,
            r.outcome,
            r.changes.map((c) => `${c.action} ${c.address}${c.outcome === 'applied' ? '' : ` (${c.outcome})`}`).join(', '),
          ]),
        ),
      )
    } finally {
      await state.close()
    }
  }
}
