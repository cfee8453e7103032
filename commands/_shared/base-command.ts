/**
 * What every secretctl command shares: the --dir and --state flags, printing in the chosen output
 * format, and the one place where engine errors become a message on stderr and an exit code.
 * Commands stay declarations plus a few lines.
 */
import {Command, Errors, Flags} from '@oclif/core'
import {stringify} from 'yaml'
import {CancelledError, SecretctlError, UsageError} from '../../src/errors.js'
import {colourFor} from '../../src/render/colour.js'
import {translateStateError} from '../../src/state/state-errors.js'
import type {OutputFormat} from './flags.js'
import {describeTakeover, type LockInfo} from '../../src/state/state-lock.js'
import {hiddenPrompt} from './read-secret-input.js'

export abstract class BaseCommand extends Command {
  static override baseFlags = {
    dir: Flags.string({char: 'd', description: 'manifests directory (read recursively)', default: '.', helpGroup: 'GLOBAL'}),
    state: Flags.string({
      description:
        'state database: a SQLite path or sqlite:PATH, or postgres://… (default: SECRETCTL_STATE, then `state:` in secretctl.yaml, then DIR/.secretctl/state.db)',
      helpGroup: 'GLOBAL',
    }),
    // Repeatable only so that `diff --env A --env B` can name two; every other command takes one.
    env: Flags.string({
      description: 'the environment declared in secretctl.yaml to work on (default: SECRETCTL_ENV, then defaultEnvironment)',
      helpGroup: 'GLOBAL',
      multiple: true,
    }),
  }

  protected get colour() {
    return colourFor(process.stdout)
  }

  /** What every engine call needs from the global flags (and `--allow-undecryptable`, where a command has it), and the hidden prompt a backend may ask its password with. */
  protected where(flags: {dir: string; state?: string; env?: string[]; 'allow-undecryptable'?: boolean}) {
    if ((flags.env?.length ?? 0) > 1)
      throw new UsageError(`--env given ${flags.env?.length} times`, 'give one environment (only `secretctl diff` compares two)')
    return {
      dir: flags.dir,
      state: flags.state,
      environment: flags.env?.[0],
      env: process.env,
      allowUndecryptable: flags['allow-undecryptable'] ?? false,
      prompt: hiddenPrompt,
    }
  }

  /** Writes text as is (renderers end their output with a newline). */
  protected print(text: string): void {
    process.stdout.write(text)
  }

  /** Writes text given in pieces, one after the other (a long plan: plan-text.ts). */
  protected printPieces(pieces: Iterable<string>): void {
    for (const piece of pieces) this.print(piece)
  }

  /** Prints `value` as JSON or YAML, or as the text (or Markdown) its renderer makes. */
  protected emit(format: OutputFormat, value: unknown, render: {text?: () => string; markdown?: () => string} = {}): void {
    if (format === 'json') this.print(`${JSON.stringify(value, null, 2)}\n`)
    else if (format === 'yaml') this.print(stringify(value))
    else if (format === 'markdown' && render.markdown) this.print(render.markdown())
    else this.print(render.text ? render.text() : stringify(value))
  }

  /** A notice that is not the command's output (stderr, so `--json` stays parseable). */
  protected notice(text: string): void {
    process.stderr.write(`${colourFor(process.stderr).yellow('Note:')} ${text}\n`)
  }

  /** For a writing command's lock options: says on stderr that the lock of a holder no longer running was taken over. */
  protected readonly sayTakeover = (previous: LockInfo): void => this.notice(describeTakeover(previous))

  protected override async catch(original: Error & {exitCode?: number}): Promise<unknown> {
    const err = translateStateError(original) ?? original
    if (err instanceof CancelledError) {
      process.stderr.write(`${err.message}\n`)
      this.exit(err.exitCode)
    }
    if (err instanceof SecretctlError) {
      const c = colourFor(process.stderr)
      process.stderr.write(`${c.red('Error:')} ${err.message}\n`)
      if (err.hint) process.stderr.write(`${c.dim('Hint:')} ${err.hint}\n`)
      this.exit(err.exitCode)
    }
    if (err instanceof Errors.ExitError) throw err
    return super.catch(err)
  }
}
