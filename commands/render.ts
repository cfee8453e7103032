import {BaseCommand} from './_shared/base-command.js'
import {outputFlags, outputFormat, renderFlags, renderMode} from './_shared/flags.js'
import {renderManifests} from '../src/operations/render-manifests.js'

export default class Render extends BaseCommand {
  static override summary = 'Print the objects apply writes for secrets on backends that have them (Kubernetes Secrets, with values).'
  static override description =
    'For `kubectl apply -f -` or a GitOps repository: the names, namespaces, labels, annotations and data apply writes. Values go only to stdout or --out FILE (mode 0600), never to a terminal without --reveal. --consumer-snippet and --external-secrets print no values.'
  static override examples = [
    '<%= config.bin %> render --backend staging | kubectl apply -f -',
    '<%= config.bin %> render --consumer-snippet --target secret.github',
    '<%= config.bin %> render --external-secrets --backend bao > external-secrets.yaml',
  ]
  static override flags = {...outputFlags(['yaml', 'json'], 'yaml'), ...renderFlags}

  async run(): Promise<void> {
    const {flags} = await this.parse(Render)
    const {stdout, note} = await renderManifests({
      ...flags,
      ...this.where(flags),
      mode: renderMode(flags),
      targets: flags.target ?? [],
      format: outputFormat(flags) as 'yaml' | 'json',
      stringData: flags['string-data'],
      stdoutIsTerminal: !!process.stdout.isTTY,
      externalSecretsApi: flags['external-secrets-api'],
    })
    this.print(stdout)
    if (note) process.stderr.write(`${note}\n`)
  }
}
