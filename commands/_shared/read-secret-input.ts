/**
 * Reads a credential the way it must be read: from stdin when asked, from an environment
 * variable, or from a hidden prompt on a TTY; never from argv (it would sit in the process list
 * and shell history).
 */
import {createInterface} from 'node:readline'

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
}

/** A prompt that echoes nothing of what is typed. */
export async function hiddenPrompt(question: string): Promise<string> {
  const rl = createInterface({input: process.stdin, output: process.stderr, terminal: true})
  const rlMuted = rl as unknown as {_writeToOutput: (s: string) => void}
  let prompted = false
  rlMuted._writeToOutput = (s: string) => {
    if (!prompted) {
      process.stderr.write(s)
      prompted = true
    }
  }
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve))
  } finally {
    rl.close()
    process.stderr.write('\n')
  }
}
