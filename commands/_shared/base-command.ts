/**
 * What every secretctl command shares: the --dir and --state flags, printing in the chosen output
 * format, and the one place where engine errors become a message on stderr and an exit code.
 * Commands stay declarations plus a few lines.
 */
import {Command, Errors, Flags} from '@oclif/core'
import {stringify} from 'yaml'
import {CancelledError, SecretctlError} from '../../src/errors.js'
import {colourFor} from '../../src/render/colour.js'
import {translateStateError} from '../../src/state/state-errors.js'
import type {OutputFormat} from './flags.js'
import {hiddenPrompt} from './read-secret-input.js'

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

  /** What every engine call needs from the global flags, and the hidden prompt a backend may ask its password with. */
  protected where(flags: {dir: string; state?: string}) {
    return {dir: flags.dir, state: flags.state, env: process.env, prompt: hiddenPrompt}
  }

  /** Writes text as is (renderers end their output with a newline). */
  protected print(text: string): void {
    process.stdout.write(text)
  }

  /** Prints `value` as JSON or YAML, or as the text (or Markdown) its renderer makes. */
  protected emit(format: OutputFormat, value: unknown, render: {text?: () => string; markdown?: () => string} = {}): void {
    if (format === 'json') this.print(`${JSON.stringify(value, null, 2)}\n`)
    else if (format === 'yaml') this.print(stringify(value))
    else if (format === 'markdown' && render.markdown) this.print(render.markdown())
    else this.print(render.text ? render.text() : stringify(value))
  }

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
