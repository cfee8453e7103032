import {Args, Flags} from '@oclif/core'
import {stringify} from 'yaml'
import {BaseCommand} from './_shared/base-command.js'
import {openStateReadOnly} from './_shared/open-state-readonly.js'
import {listBackendSummaries, listSecretSummaries} from '../src/engine/inspect.js'
import {renderTable} from '../src/render/table.js'

export default class Get extends BaseCommand {
  static override summary = 'List the backends or secrets the state records (never values).'
  static override examples = ['<%= config.bin %> get backends', '<%= config.bin %> get secrets -d infra/secrets -o json']
  static override args = {
    resource: Args.string({description: 'what to list', required: true, options: ['backends', 'secrets']}),
  }
  static override flags = {
    output: Flags.string({char: 'o', description: 'output format', options: ['table', 'json', 'yaml'], default: 'table'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Get)
    const state = await openStateReadOnly(flags)
    try {
      const rows = args.resource === 'backends' ? await listBackendSummaries(state) : await listSecretSummaries(state)
      if (flags.output === 'json') return this.printJson(rows)
      if (flags.output === 'yaml') return this.print(stringify(rows))
      if (args.resource === 'backends') {
        const bs = rows as Awaited<ReturnType<typeof listBackendSummaries>>
        this.print(
          renderTable(
            ['NAME', 'TYPE', 'DEFAULT', 'SECRETS', 'TOKEN', 'DESCRIPTION'],
            bs.map((b) => [b.name, b.type, b.default ? 'yes' : '', String(b.secrets), b.health ?? '-', b.description ?? '']),
          ),
        )
      } else {
        const ss = rows as Awaited<ReturnType<typeof listSecretSummaries>>
        this.print(
          renderTable(
            ['NAME', 'BACKEND', 'KEYS', 'VERSION', 'UPDATED'],
            ss.map((s) => [s.name, s.backend, s.keys.join(','), s.version === null ? '' : String(s.version), s.updatedAt]),
          ),
        )
      }
    } finally {
      await state.close()
    }
  }
}
