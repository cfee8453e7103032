/**
 * The progress display of `apply` and `reconcile` (src/render/apply-progress.ts), on stderr: a bar
 * at a terminal, a line every few seconds elsewhere (SECRETCTL_PROGRESS_INTERVAL: a duration, or
 * `off`); none with JSON output.
 */
import type {ApplyProgress} from '../../src/apply/types.js'
import {parseDuration} from '../../src/duration.js'
import {UsageError} from '../../src/errors.js'
import {DEFAULT_PROGRESS_INTERVAL_MS, ProgressBar, ProgressLines} from '../../src/render/apply-progress.js'

export function applyProgress(opts: {json: boolean; env?: NodeJS.ProcessEnv}): ApplyProgress | undefined {
  if (opts.json) return undefined
  if (process.stderr.isTTY) return new ProgressBar(process.stderr)
  const setting = (opts.env ?? process.env).SECRETCTL_PROGRESS_INTERVAL?.trim()
  if (setting === 'off') return undefined
  const intervalMs = !setting ? DEFAULT_PROGRESS_INTERVAL_MS : setting === '0' ? 0 : parseDuration(setting)
  if (intervalMs === null)
    throw new UsageError(
      `SECRETCTL_PROGRESS_INTERVAL=${JSON.stringify(setting)} is not a duration`,
      'use e.g. 10s or 1m, 0s for a line per change, or off',
    )
  return new ProgressLines({write: (text) => process.stderr.write(text), intervalMs})
}
