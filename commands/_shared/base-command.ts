/**
 * What every secretctl command shares: the --dir and --state flags and the one place where engine
 * errors become a message on stderr and an exit code. Commands stay declarations plus a few lines.
 */
import {Command, Errors, Flags} from '@oclif/core'
import {SecretctlError} from '../../src/errors.js'
import {colourFor} from '../../src/render/colour.js'
import {parseDuration} from '../../src/duration.js'
import {UsageError} from '../../src/errors.js'
import {translateStateError} from '../../src/state/state-errors.js'
import {describeTakeover, type LockInfo} from '../../src/state/state-lock.js'

export abstract class BaseCommand extends Command {
  static override baseFlags = {
    dir: Flags.string({char: 'd', description: 'manifests directory (read recursively)', default: '.', helpGroup: 'GLOBAL'}),
    state: Flags.string({
      description:
        'state database: a SQLite path or sqlite:PATH, or postgres://… (default: SECRETCTL_STATE, then `state:` in secretctl.yaml, then DIR/.secretctl/state.db)',
      helpGroup: 'GLOBAL',
    }),
  }

  protected get colour() {
    return colourFor(process.stdout)
  }

  protected get errColour() {
    return colourFor(process.stderr)
  }

  /** Writes text as is (renderers end their output with a newline). */
  protected print(text: string): void {
    process.stdout.write(text)
  }

  protected printJson(value: unknown): void {
    process.stdout.write(JSON.stringify(value, null, 2) + '\n')
  }

  /** A notice that is not the command's output (stderr, so `--json` stays parseable). */
  protected notice(text: string): void {
    process.stderr.write(`${this.errColour.yellow('Note:')} ${text}\n`)
  }

  /** For a writing command's lock options: says on stderr that the lock of a holder no longer running was taken over. */
  protected readonly sayTakeover = (previous: LockInfo): void => this.notice(describeTakeover(previous))

  protected override async catch(original: Error & {exitCode?: number}): Promise<unknown> {
    const err = translateStateError(original) ?? original
    if (err instanceof SecretctlError) {
      const c = this.errColour
      process.stderr.write(`${c.red('Error:')} ${err.message}\n`)
      if (err.hint) process.stderr.write(`${c.dim('Hint:')} ${err.hint}\n`)
      this.exit(err.exitCode)
    }
    if (err instanceof Errors.ExitError) throw err
    return super.catch(err)
  }
}

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
    default: 16,
    min: 1,
    max: 256,
  }),
}

/** Flags of the commands that write the state. */
export const lockFlags = {
  'lock-timeout': Flags.string({
    description: 'how long to wait for the state lock held by another run, e.g. 30s or 5m (default 0: fail at once)',
    default: '0s',
  }),
}

export function lockTimeoutMs(value: string): number {
  const ms = value === '0' ? 0 : parseDuration(value)
  if (ms === null) throw new UsageError(`--lock-timeout ${JSON.stringify(value)} is not a duration`, 'use e.g. 0s, 30s, 5m')
  return ms
}
