/**
 * Standalone entry: `npm run onepassword:dev -- --port 8080 --token T` starts the Connect test
 * server on 127.0.0.1 (plain HTTP), prints its address, and runs until SIGINT/SIGTERM or until
 * the process that started it exits (see parent-watch.ts). Flags: `--port N` (default 8080,
 * Connect's; 0 = any free port), `--token T` (accepted for every vault, read and write; without
 * it a token is minted and printed, a throwaway like `bao server -dev`'s root token),
 * `--vault NAME` (repeatable: vaults to create at start), `--version V` (the Connect version
 * reported), `--no-test-control` (hide `/__test/`), `--no-parent-watch`, `--json` (print one
 * JSON line instead of the banner).
 */
import {startOnePasswordServer} from './index.js'
import {watchParents} from './parent-watch.js'

interface CliOptions {
  port: number
  token?: string
  vaults: string[]
  version?: string
  testControl: boolean
  parentWatch: boolean
  json: boolean
}

function usage(): string {
  return [
    'usage: npm run onepassword:dev -- [--port 8080] [--token TOKEN] [--vault NAME]... [--version 1.8.1]',
    '                                  [--no-test-control] [--no-parent-watch] [--json]',
  ].join('\n')
}

function parseArgs(argv: string[]): CliOptions {
  const opts: CliOptions = {port: 8080, vaults: [], testControl: true, parentWatch: true, json: false}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]
    const value = () => {
      const v = inline ?? argv[++i]
      if (v === undefined) throw new Error(`${flag} needs a value`)
      return v
    }
    switch (flag) {
      case '--port':
      case '-p': {
        const port = Number(value())
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be 0..65535')
        opts.port = port
        break
      }
      case '--token':
        opts.token = value()
        break
      case '--vault':
        opts.vaults.push(value())
        break
      case '--version':
        opts.version = value()
        break
      case '--no-test-control':
        opts.testControl = false
        break
      case '--no-parent-watch':
        opts.parentWatch = false
        break
      case '--json':
        opts.json = true
        break
      case '--help':
      case '-h':
        process.stdout.write(`${usage()}\n`)
        process.exit(0)
        break
      default:
        throw new Error(`unknown flag ${arg}\n${usage()}`)
    }
  }
  return opts
}

async function main(): Promise<void> {
  let opts: CliOptions
  try {
    opts = parseArgs(process.argv.slice(2))
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`)
    process.exit(2)
  }
  const server = await startOnePasswordServer({port: opts.port, token: opts.token, version: opts.version, testControl: opts.testControl})
  const vaults = opts.vaults.map((name) => server.createVault(name))
  // A token given on the command line is the caller's: it is not echoed back.
  const shownToken = opts.token === undefined ? server.token : undefined
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({address: server.url, ...(shownToken ? {token: shownToken} : {}), vaults})}\n`)
  } else {
    process.stdout.write(
      [
        '1Password Connect test server (secretctl) is running.',
        '',
        `    Address: ${server.url}`,
        `    Token: ${shownToken ?? '(the one given with --token)'}`,
        ...vaults.map((v) => `    Vault: ${v.name} (${v.id})`),
        opts.testControl ? `    Test control: ${server.url}/__test/` : '',
        '',
        `    export OP_CONNECT_HOST='${server.url}'`,
        '',
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    )
  }
  let stopping = false
  // With the starter gone, stdout may be a pipe nobody reads: a failed write must not matter.
  process.stdout.on('error', () => {})
  const stop = (why: string, say: boolean) => {
    if (stopping) return
    stopping = true
    if (say && !opts.json) process.stdout.write(`\n${why}, shutting down.\n`)
    void server.close().then(() => process.exit(0))
  }
  process.on('SIGINT', () => stop('SIGINT received', true))
  process.on('SIGTERM', () => stop('SIGTERM received', true))
  if (opts.parentWatch) watchParents((reason) => stop(reason, false))
}

void main()
