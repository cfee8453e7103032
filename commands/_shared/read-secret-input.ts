/**
 * Reads a credential the way it must be read: from stdin when asked, from an environment
 * variable, or from a hidden prompt on a TTY; never from argv (it would sit in the process list
 * and shell history).
 */
import {createInterface} from 'node:readline'
import {canonicalType, kindOf} from '../../src/backends/registry.js'
import {UsageError} from '../../src/errors.js'

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

/** A new password: stdin when asked (one trailing newline dropped), else typed twice at a hidden prompt; never argv. */
export async function readNewPassword(fromStdin: boolean, subject: string): Promise<string> {
  if (fromStdin) return readStdin()
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new UsageError(`no new password for ${subject}: not at a terminal`, 'pipe it with --new-password-stdin')
  }
  const first = await hiddenPrompt(`New password for ${subject}: `)
  if (!first) throw new UsageError(`empty new password for ${subject}`, 'type a password of at least one character')
  if ((await hiddenPrompt(`Repeat the new password for ${subject}: `)) !== first) {
    throw new UsageError(`the two new passwords typed for ${subject} differ; nothing changed`, 'run the command again')
  }
  return first
}

/** A bootstrap wizard's admin token: stdin when asked, else the kind's variable, else a hidden prompt at a terminal. */
export async function readAdminToken(type: string, fromStdin: boolean): Promise<string> {
  if (fromStdin) return readStdin()
  const variable = adminTokenVariable(type)
  const fromEnv = variable ? process.env[variable] : undefined
  if (fromEnv) return fromEnv
  if (!process.stdin.isTTY)
    throw new UsageError('no admin token', `pipe it with --admin-token-stdin${variable ? ` or set ${variable}` : ''}`)
  return hiddenPrompt(`${type} admin token (used once, stored nowhere): `)
}

function adminTokenVariable(type: string): string | undefined {
  const spelled = canonicalType(type)
  return spelled ? kindOf(spelled).bootstrap?.adminTokenVariable : undefined
}

/** A secret value for `secret set`: stdin when it is not a terminal, else a hidden prompt. */
export async function readSecretValue(question: string): Promise<string> {
  return process.stdin.isTTY ? hiddenPrompt(question) : readStdin()
}
