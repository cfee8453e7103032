/** Flags several commands share, declared once. */
import {Flags, type Interfaces} from '@oclif/core'
import {parseDuration} from '../../src/duration.js'
import {UsageError} from '../../src/errors.js'
import {DEFAULT_CONCURRENCY} from '../../src/workspace/workspace.js'
import {backendKinds} from '../../src/backends/registry.js'
import {readPlanFile} from '../../src/plan/plan-file.js'

/** Flags of the commands that plan: which changes to consider. */
export const planFlags = {
  prune: Flags.boolean({description: 'also delete secrets and backends that the manifests no longer name'}),
  rotate: Flags.boolean({
    description: 'also rotate what is due: generated values older than rotateEvery, backend tokens older than their period',
  }),
  target: Flags.string({
    description: 'limit the plan to this address and what it depends on (repeatable), e.g. secret.github or backend.bao',
    multiple: true,
  }),
  concurrency: Flags.integer({
    description: 'backend requests in flight at once (an apply keeps 16 times as many secrets in progress)',
    default: DEFAULT_CONCURRENCY,
    min: 1,
    max: 256,
  }),
}

/** For the commands that only read (plan, validate): go on without the keys to some encrypted values. */
export const allowUndecryptableFlag = Flags.boolean({
  description:
    'go on when an encrypted value file cannot be decrypted here (no key or not the right one): plan shows its keys as unknown, planned from their ciphertexts (a changed ciphertext is a possible change); validate reports the file',
})

/** Flags of the commands that write the state. */
export const lockFlags = {
  'lock-timeout': Flags.string({
    description: 'how long to wait for the state lock held by another run, e.g. 30s or 5m (default 0: fail at once)',
    default: '0s',
  }),
}

/** apply's flags: what to plan, the lock's wait, the output, and `--auto-approve`. */
export const applyFlags = {
  ...planFlags,
  ...lockFlags,
  ...outputFlags(['text', 'json']),
  'auto-approve': Flags.boolean({description: 'apply without asking for confirmation'}),
}

/** What apply and reconcile hand the engine from their flags: targets, the lock (named after `command`), and the plan saved in `file`. */
export function applyRequestOf(flags: {target?: string[]; 'lock-timeout': string}, opts: {command: string; file?: string}) {
  return {
    targets: flags.target ?? [],
    lockTimeoutMs: lockTimeoutMs(flags['lock-timeout']),
    command: opts.file ? `${opts.command} FILE` : opts.command,
    saved: opts.file ? readPlanFile(opts.file) : undefined,
  }
}

export function lockTimeoutMs(value: string): number {
  const ms = value === '0' ? 0 : parseDuration(value)
  if (ms === null) throw new UsageError(`--lock-timeout ${JSON.stringify(value)} is not a duration`, 'use e.g. 0s, 30s, 5m')
  return ms
}

export type OutputFormat = 'text' | 'json' | 'yaml' | 'markdown'

/** `-o, --output FORMAT` with the formats a command supports, and `--json` as shorthand for `-o json`. */
export function outputFlags(formats: readonly OutputFormat[], fallback: OutputFormat = 'text') {
  return {
    output: Flags.string({char: 'o', description: 'output format', options: [...formats], default: fallback}),
    json: Flags.boolean({description: 'shorthand for -o json'}),
  }
}

/** The format asked for: `--json` wins over `-o`. */
export function outputFormat(flags: {output?: string; json?: boolean; markdown?: boolean}): OutputFormat {
  if (flags.json) return 'json'
  if (flags.markdown) return 'markdown'
  return (flags.output ?? 'text') as OutputFormat
}

/** The flags of every bootstrap wizard, from the kinds' own option lists (a kind adds its flags by declaring them). */
export function bootstrapOptionFlags() {
  const flags: Record<string, Interfaces.Flag<string | boolean | undefined>> = {}
  for (const kind of backendKinds()) {
    for (const o of kind.bootstrap?.options ?? []) {
      const description = `${kind.type}: ${o.description}${o.required ? ' (required)' : ''}`
      flags[o.name] = (
        o.type === 'boolean' ? Flags.boolean({description}) : Flags.string({description, ...(o.default ? {default: o.default} : {})})
      ) as Interfaces.Flag<string | boolean | undefined>
    }
  }
  return flags
}

/** Flags of `secretctl render`. */
export const renderFlags = {
  backend: Flags.string({description: 'only the secrets on this backend'}),
  target: Flags.string({description: 'only this secret, e.g. secret.github (repeatable)', multiple: true}),
  'string-data': Flags.boolean({description: 'values in clear under stringData instead of base64 data'}),
  out: Flags.string({description: 'write to FILE (mode 0600) instead of stdout'}),
  reveal: Flags.boolean({description: 'allow printing values to a terminal'}),
  'consumer-snippet': Flags.boolean({
    description: 'print the envFrom/secretKeyRef YAML a pod spec needs (no values)',
    exclusive: ['external-secrets'],
  }),
  'external-secrets': Flags.boolean({
    description: 'print External Secrets Operator SecretStore/ExternalSecret resources for secrets on OpenBao (no values)',
  }),
  'external-secrets-api': Flags.string({
    description: 'apiVersion of those resources (v1beta1 for External Secrets Operator before 0.17)',
    options: ['external-secrets.io/v1', 'external-secrets.io/v1beta1'],
    default: 'external-secrets.io/v1',
  }),
}

/** What `render` prints, from its flags. */
export function renderMode(flags: {'consumer-snippet'?: boolean; 'external-secrets'?: boolean}) {
  return flags['consumer-snippet'] ? 'consumer-snippet' : flags['external-secrets'] ? 'external-secrets' : 'manifests'
}

/** `plan`'s own flags: Markdown for a pull request, a saved plan, the CI exit code. */
export const planCommandFlags = {
  markdown: Flags.boolean({
    description: 'shorthand for -o markdown: a pull-request comment, in parts when longer than a comment allows',
    exclusive: ['json'],
  }),
  out: Flags.string({description: 'also save the plan to FILE (JSON, mode 0600) for `secretctl apply FILE`'}),
  'detailed-exitcode': Flags.boolean({description: 'exit 0 when there are no changes, 2 when there are, 1 on error'}),
}

/** `bootstrap`'s flags: every wizard's options, and how the admin token and the default are given. */
export function bootstrapFlags() {
  return {
    ...lockFlags,
    ...bootstrapOptionFlags(),
    'no-default': Flags.boolean({description: 'do not make the new backend the default'}),
    'admin-token-stdin': Flags.boolean({description: 'read the admin token from stdin'}),
  }
}

/** Flags of every `secretctl import SOURCE`. */
export function importFlags(source: string) {
  return {
    backend: Flags.string({description: 'the backend the secrets go to (or are on)', default: 'default'}),
    out: Flags.string({description: `where the manifests go, inside the manifests directory (default DIR/${source})`}),
    'dry-run': Flags.boolean({description: 'show the mapping and what would be imported and recorded; change nothing'}),
    ...lockFlags,
    ...outputFlags(['text', 'json']),
  }
}

/** What every `secretctl import SOURCE` passes on from its flags. */
export function importOptions(flags: {out?: string; 'dry-run': boolean; 'lock-timeout': string}) {
  return {outDir: flags.out, dryRun: flags['dry-run'], lockTimeoutMs: lockTimeoutMs(flags['lock-timeout'])}
}
