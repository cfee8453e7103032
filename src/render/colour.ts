/** One chalk instance per output: colours only on a TTY and never with NO_COLOR set. */
import {Chalk, type ChalkInstance} from 'chalk'

export function colourFor(stream: {isTTY?: boolean}, env: NodeJS.ProcessEnv = process.env): ChalkInstance {
  const on = !!stream.isTTY && env.NO_COLOR === undefined && env.TERM !== 'dumb'
  return new Chalk({level: on ? 1 : 0})
}

export const plain: ChalkInstance = new Chalk({level: 0})
