import {Args} from '@oclif/core'
import {BaseCommand} from './_shared/base-command.js'
import {initProject} from '../src/operations/init-project.js'

export default class Init extends BaseCommand {
  static override summary = 'Scaffold a manifests directory with an example backend and secret.'
  static override description =
    "Writes kmcp's layout: secretctl.yaml with the environments local (the default), staging and production; backends.yaml; secrets.yaml (a secret from an environment variable and a generated value, and one from .env.${env}); .env.example (names only, committed); .env.local; and a .gitignore that keeps .secretctl/ (the state) and the env files out of git. Existing files are left alone."
  static override examples = ['<%= config.bin %> init infra/secrets', 'export GITHUB_TOKEN=… && <%= config.bin %> plan -d infra/secrets']
  static override args = {dir: Args.string({description: 'directory to create (default: current directory)', default: '.'})}

  async run(): Promise<void> {
    const {args} = await this.parse(Init)
    const r = initProject(args.dir)
    for (const f of r.written) this.print(`created ${f}\n`)
    for (const f of r.skipped) this.print(`kept existing ${f}\n`)
    this.print(
      `\nNext: set GITHUB_TOKEN, then\n  secretctl validate -d ${args.dir}\n  secretctl plan -d ${args.dir}\n  secretctl apply -d ${args.dir}\nFor another environment, add its env file (e.g. .env.staging, the names in .env.example) and pass --env staging.\n`,
    )
  }
}
