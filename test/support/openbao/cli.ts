/**
 * Standalone entry: `npm run openbao:dev -- --port 8200 --root-token T` starts the test server on
 * 127.0.0.1, prints its address, root token and unseal key (like `bao server -dev`), and runs
 * until SIGINT/SIGTERM. Flags: `--port N` (default 8200, 0 = any free port), `--root-token T`,
 * `--no-dev-mounts` (start without `secret/`, like a non-dev server), `--uninitialized`,
 * `--sealed`, `--no-test-control` (hide `/__test/`), `--json` (print one JSON line instead),
 * `--max-log-entries N` (the request log's cap, default 100,000; a benchmark's move of 100,000 needs more).
 */
import {startOpenBaoTestServer} from './index.js'

interface CliOptions {
  port: number
  rootToken?: string
  devMounts: boolean
  initialized: boolean
  sealed: boolean
  testControl: boolean
  json: boolean
  maxLogEntries?: number
}

function usage(): string {
  return [
    'usage: npm run openbao:dev -- [--port 8200] [--root-token TOKEN] [--no-dev-mounts]',
    '                              [--uninitialized] [--sealed] [--no-test-control] [--json] [--max-log-entries N]',
  ].join('\n')
}

function parseArgs(argv: string[]): CliOptions {
  const opts: CliOptions = {port: 8200, devMounts: true, initialized: true, sealed: false, testControl: true, json: false}
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
      case '--root-token':
      case '--dev-root-token-id':
        opts.rootToken = value()
        break
      case '--no-dev-mounts':
      case '--empty':
        opts.devMounts = false
        break
      case '--uninitialized':
        opts.initialized = false
        break
      case '--sealed':
        opts.sealed = true
        break
      case '--no-test-control':
        opts.testControl = false
        break
      case '--json':
        opts.json = true
        break
      case '--max-log-entries': {
        const n = Number(value())
        if (!Number.isInteger(n) || n < 1) throw new Error('--max-log-entries must be a positive integer')
        opts.maxLogEntries = n
        break
      }
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
  const server = await startOpenBaoTestServer({
    port: opts.port,
    rootToken: opts.rootToken,
    devMounts: opts.devMounts,
    initialized: opts.initialized,
    sealed: opts.sealed,
    testControl: opts.testControl,
    maxLogEntries: opts.maxLogEntries,
  })
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({address: server.url, rootToken: server.rootToken, unsealKey: server.unsealKey})}\n`)
  } else {
    process.stdout.write(
      [
        'OpenBao test server (secretctl) is running.',
        '',
        `    Api Address: ${server.url}`,
        `    Root Token: ${server.rootToken || '(none until PUT /v1/sys/init)'}`,
        `    Unseal Key: ${server.unsealKey}`,
        `    KV v2 mount: ${opts.devMounts ? 'secret/' : '(none)'}`,
        opts.testControl ? `    Test control: ${server.url}/__test/` : '',
        '',
        `    export BAO_ADDR='${server.url}' VAULT_ADDR='${server.url}'`,
        '',
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    )
  }
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    if (!opts.json) process.stdout.write(`\n${signal} received, shutting down.\n`)
    void server.close().then(() => process.exit(0))
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}

void main()
