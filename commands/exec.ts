import {Flags} from '@oclif/core'
import {BaseCommand} from './_shared/base-command.js'
import {execWithSecrets} from '../src/operations/exec-with-secrets.js'

export default class Exec extends BaseCommand {
  static override summary = 'Run a command with secrets in its environment, read from wherever each secret lives now.'
  static override description =
    "Resolves each --secret through exec.resolve in secretctl.yaml (default [backend]: the state and the secret's backend; `environment`: SECRETCTL_SECRET_<NAME>_<KEY>), the first link that has it winning, and runs the command with the values as environment variables. Where the command's stdout or stderr is not a terminal, every injected value in it is replaced by ***. SIGINT, SIGTERM and SIGHUP are passed to the command; exits with the command's exit code (128 + the signal's number when a signal ended it)."
  static override examples = [
    '<%= config.bin %> exec --secret github -- npx -y @modelcontextprotocol/server-github',
    '<%= config.bin %> exec --secret github,key=GITHUB_TOKEN,target=GITHUB_PERSONAL_ACCESS_TOKEN -- ./mcp-server',
    '<%= config.bin %> exec --require-all --secret github --secret db -- ./server',
  ]
  static override strict = false
  static override flags = {
    secret: Flags.string({description: 'NAME[,key=KEY][,target=ENV] (repeatable)', multiple: true, required: true}),
    'require-all': Flags.boolean({description: 'fail before starting the command when a key a requested secret has is missing'}),
    masking: Flags.boolean({description: 'replace injected values by *** in output that is not a terminal', default: true, allowNo: true}),
  }

  async run(): Promise<void> {
    const {flags, argv} = await this.parse(Exec)
    const warn = (line: string) => process.stderr.write(`${line}\n`)
    const {secret: secrets, 'require-all': requireAll, masking} = flags
    this.exit(await execWithSecrets({...this.where(flags), secrets, argv: argv as string[], requireAll, masking, warn}))
  }
}
