import {Flags} from '@oclif/core'
import {execa} from 'execa'
import {BaseCommand} from './_shared/base-command.js'
import {openStateReadOnly} from './_shared/open-state-readonly.js'
import {SecretResolver} from '../src/resolve/resolve-secret.js'
import {environmentFor, parseSecretMapping} from '../src/resolve/env-mapping.js'
import {refuseChildProcessDebug} from '../src/resolve/child-process-debug.js'
import {UsageError} from '../src/errors.js'

export default class Exec extends BaseCommand {
  static override summary = 'Run a command with secrets in its environment, read from wherever each secret lives now.'
  static override description =
    "Resolves each --secret by name through the state database and its backend, and runs the command with the values as environment variables. Values are never printed. Exits with the command's exit code."
  static override examples = [
    '<%= config.bin %> exec --secret github -- npx -y @modelcontextprotocol/server-github',
    '<%= config.bin %> exec --secret github,key=GITHUB_TOKEN,target=GITHUB_PERSONAL_ACCESS_TOKEN -- ./mcp-server',
  ]
  static override strict = false
  static override flags = {
    secret: Flags.string({description: 'NAME[,key=KEY][,target=ENV] (repeatable)', multiple: true, required: true}),
  }

  async run(): Promise<void> {
    const {flags, argv} = await this.parse(Exec)
    const [cmd, ...args] = argv as string[]
    if (!cmd) throw new UsageError('no command to run', 'put it after --, e.g. secretctl exec --secret github -- ./server')
    const mappings = flags.secret.map(parseSecretMapping)
    refuseChildProcessDebug()
    const state = await openStateReadOnly(flags)
    const env: Record<string, string> = {}
    const resolver = new SecretResolver(state, process.env)
    try {
      for (const m of mappings) Object.assign(env, environmentFor(m, await resolver.resolve(m.name)))
    } finally {
      await resolver.close()
      await state.close()
    }
    const child = await execa(cmd, args, {env, extendEnv: true, stdio: 'inherit', reject: false})
    if (child.failed && child.exitCode === undefined)
      throw new UsageError(`could not run ${cmd}: ${child.shortMessage ?? 'failed to start'}`)
    this.exit(child.exitCode ?? 1)
  }
}
