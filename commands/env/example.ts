import {Flags} from '@oclif/core'
import {BaseCommand} from '../_shared/base-command.js'
import {writeEnvExample} from '../../src/operations/env-example.js'

export default class EnvExample extends BaseCommand {
  static override summary = 'Write .env.example: the names every .env.<environment> must define, with comments and no values.'
  static override description =
    'Reads the env files the environment (--env, else the default) uses through envFile and writes their names, grouped by file, into .env.example at the root of the manifests directory. `secretctl validate --env ENV` then checks every environment against it.'
  static override examples = ['<%= config.bin %> env example --env local', '<%= config.bin %> env example --force']
  static override flags = {force: Flags.boolean({description: 'replace an existing .env.example'})}

  async run(): Promise<void> {
    const {flags} = await this.parse(EnvExample)
    const written = await writeEnvExample({...this.where(flags), force: flags.force})
    this.print(`Wrote ${written.file} (${written.names} name${written.names === 1 ? '' : 's'}, no values).\n`)
  }
}
