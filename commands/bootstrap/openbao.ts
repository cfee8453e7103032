import {Args, Flags} from '@oclif/core'
import {BaseCommand, lockFlags, lockTimeoutMs} from '../_shared/base-command.js'
import {hiddenPrompt, readStdin} from '../_shared/read-secret-input.js'
import {bootstrapOpenBao} from '../../src/bootstrap/bootstrap-openbao.js'
import {OpenBaoClient} from '../../src/backends/openbao/openbao-http-client.js'
import {bootstrapApi} from '../../src/backends/openbao/token-api.js'
import {withStateLock} from '../../src/engine/with-state-lock.js'
import {resolveActor} from '../../src/engine/actor.js'
import {readProjectConfig} from '../../src/manifests/project-config.js'
import {openStateFor} from '../../src/engine/workspace.js'
import {UsageError} from '../../src/errors.js'

export default class BootstrapOpenBao extends BaseCommand {
  static override summary = 'Set up an OpenBao backend in one command: mount, policy, token role, first token, manifests.'
  static override description =
    `With an admin token (hidden prompt on a terminal, --admin-token-stdin, or SECRETCTL_BAO_ADMIN_TOKEN; never a flag value): checks health (sealed or uninitialised: refuse), ensures a KV v2 mount, writes the narrow policy (KV under the prefix plus self-rotation), ensures the token role (that policy only, periodic, renewable, orphan), mints the first token, writes the backend manifest and a placement-only token secret into the manifests directory, stores the token on the plaintext trust root, and verifies end to end.
The admin token is used in memory only and persisted nowhere.`
  static override examples = [
    '<%= config.bin %> bootstrap openbao bao --url https://bao.internal:8200 -d infra/secrets',
    'echo "$ADMIN" | <%= config.bin %> bootstrap openbao bao --url http://127.0.0.1:8200 --admin-token-stdin --no-default',
  ]
  static override args = {name: Args.string({description: 'name of the new backend', required: true})}
  static override flags = {
    ...lockFlags,
    url: Flags.string({description: 'OpenBao address', required: true}),
    mount: Flags.string({description: 'KV v2 mount (created when missing)', default: 'secret'}),
    'path-prefix': Flags.string({description: 'secrets land at MOUNT/data/PREFIX/NAME', default: 'secretctl'}),
    namespace: Flags.string({description: 'OpenBao namespace (X-Vault-Namespace)'}),
    'policy-name': Flags.string({description: 'name of the policy to write', default: 'secretctl'}),
    'token-role': Flags.string({description: 'name of the token role to write', default: 'secretctl'}),
    period: Flags.string({description: 'rotate the token when older than this', default: '24h'}),
    ttl: Flags.string({description: 'token period on the role: a token not renewed or rotated within it stops working', default: '720h'}),
    'no-default': Flags.boolean({description: 'do not make the new backend the default'}),
    'admin-token-stdin': Flags.boolean({description: 'read the admin token from stdin'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(BootstrapOpenBao)
    let admin = process.env.SECRETCTL_BAO_ADMIN_TOKEN ?? ''
    if (flags['admin-token-stdin']) admin = await readStdin()
    else if (!admin) {
      if (!process.stdin.isTTY) throw new UsageError('no admin token', 'pipe it with --admin-token-stdin or set SECRETCTL_BAO_ADMIN_TOKEN')
      admin = await hiddenPrompt('OpenBao admin token (used once, stored nowhere): ')
    }
    if (!admin.trim())
      throw new UsageError('the admin token is empty', 'give a token with the rights to write mounts, policies and token roles')
    const config = await readProjectConfig(flags.dir)
    const state = await openStateFor(config.state, {dir: flags.dir, state: flags.state, env: process.env})
    const client = new OpenBaoClient({backend: args.name, url: flags.url, namespace: flags.namespace})
    try {
      const result = await withStateLock(
        state,
        {
          command: `bootstrap openbao ${args.name}`,
          timeoutMs: lockTimeoutMs(flags['lock-timeout']),
          env: process.env,
          onTakeover: this.sayTakeover,
        },
        () =>
          bootstrapOpenBao(
            {
              name: args.name,
              dir: flags.dir,
              url: flags.url,
              mount: flags.mount,
              pathPrefix: flags['path-prefix'],
              namespace: flags.namespace,
              policyName: flags['policy-name'],
              tokenRole: flags['token-role'],
              period: flags.period,
              ttl: flags.ttl,
              isDefault: !flags['no-default'],
              actor: resolveActor(process.env),
            },
            admin,
            bootstrapApi(client),
            state,
          ),
      )
      admin = ''
      for (const step of result.steps) this.print(`${this.colour.green('✓')} ${step}\n`)
      this.print(
        `\nNext: move secrets to ${args.name} by setting \`backend: ${args.name}\` in their manifests${flags['no-default'] ? '' : ' (or leave `backend:` out: it is now the default)'}, then\n  secretctl plan -d ${flags.dir}\n  secretctl apply -d ${flags.dir}\n`,
      )
    } finally {
      await client.close()
      await state.close()
    }
  }
}
