import {Flags} from '@oclif/core'
import {BaseCommand} from './_shared/base-command.js'
import {execWithSecrets} from '../src/operations/exec-with-secrets.js'

export default class Exec extends BaseCommand {
  static override summary = 'Run a command with secrets in its environment, read from wherever each secret lives now.'
  static override description =
    "Resolves each --secret by name through the state database and its backend, and runs the command with the values as environment variables. Values are never printed. SIGINT, SIGTERM and SIGHUP are passed to the command; exits with the command's exit code (128 + the signal's number when a signal ended it)."
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
    this.exit(await execWithSecrets({...this.where(flags), secrets: flags.secret, argv: argv as string[]}))
  }
}
