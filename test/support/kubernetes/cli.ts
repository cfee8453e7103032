/**
 * Standalone entry: `npm run kube:dev -- --port 8443 --token T` starts the Kubernetes API test
 * server on 127.0.0.1 (plain HTTP), accepts T as the admin bearer token, prints its address and a
 * kubectl command line, and runs until SIGINT/SIGTERM or until its parent process exits (or,
 * when stdin is a pipe, until the pipe closes), so a test that dies does not leave it behind.
 * Flags: `--port N` (default 8443, 0 = any free port), `--token T` (default: random, printed),
 * `--tls` (HTTPS with a self-signed certificate: kubectl sends tokens only over TLS),
 * `--kubeconfig FILE` (write a kubeconfig for the admin token there, mode 0600),
 * `--namespace NS` (repeatable: namespaces to create at start), `--no-test-control` (hide
 * `/__test/`), `--json` (print one JSON line instead of the banner).
 */
import fs from 'node:fs'
import {startKubeServer} from './index.js'

interface CliOptions {
  port: number
  token?: string
  namespaces: string[]
  testControl: boolean
  json: boolean
  tls: boolean
  kubeconfig?: string
}

function usage(): string {
  return 'usage: npm run kube:dev -- [--port 8443] [--token TOKEN] [--tls] [--kubeconfig FILE] [--namespace NS]... [--no-test-control] [--json]'
}

function parseArgs(argv: string[]): CliOptions {
  const opts: CliOptions = {port: 8443, namespaces: [], testControl: true, json: false, tls: false}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const eq = arg.indexOf('=')
    const [flag, inline] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined]
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
        if (!opts.token) throw new Error('--token must not be empty')
        break
      case '--namespace':
      case '-n':
        opts.namespaces.push(value())
        break
      case '--tls':
        opts.tls = true
        break
      case '--kubeconfig':
        opts.kubeconfig = value()
        break
      case '--no-test-control':
        opts.testControl = false
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

/** The parent pid of `pid` from /proc (Linux), or undefined. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  } catch {
    return undefined
  }
}

/**
 * Calls `stop` once the process that started us is gone: our parent changed, or our parent's
 * parent did (under tsx our parent is tsx's launcher, which outlives the test that started it),
 * or our stdin pipe closed.
 */
function watchParent(stop: (why: string) => void): void {
  const parent = process.ppid
  const grandparent = parentOf(parent)
  const timer = setInterval(() => {
    if (process.ppid !== parent) stop('parent exited')
    else if (grandparent !== undefined && parentOf(parent) !== grandparent) stop('parent exited')
  }, 250)
  timer.unref()
  try {
    const stdin = fs.fstatSync(0)
    // A pipe from a shell is a FIFO; one from Node's spawn is a socket pair.
    if (stdin.isFIFO() || stdin.isSocket()) {
      process.stdin.on('end', () => stop('stdin closed'))
      process.stdin.on('error', () => stop('stdin closed'))
      process.stdin.resume()
    }
  } catch {
    // no stdin at all
  }
}

async function main(): Promise<void> {
  let opts: CliOptions
  try {
    opts = parseArgs(process.argv.slice(2))
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`)
    process.exit(2)
  }
  const server = await startKubeServer({
    port: opts.port,
    adminToken: opts.token,
    namespaces: opts.namespaces,
    testControl: opts.testControl,
    tls: opts.tls,
  })
  if (opts.kubeconfig) fs.writeFileSync(opts.kubeconfig, server.kubeconfig(), {mode: 0o600})
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({
        address: server.url,
        user: server.adminUser,
        // A token it made is printed (a dev server's, like `bao server -dev`); one given with --token is not echoed.
        ...(opts.token ? {} : {adminToken: server.adminToken}),
        kubeconfig: opts.kubeconfig,
        pid: process.pid,
      })}\n`,
    )
  } else {
    process.stdout.write(
      [
        'Kubernetes API test server (secretctl) is running.',
        '',
        `    Address: ${server.url}`,
        `    Admin user: ${server.adminUser}${opts.token ? ' (token from --token)' : ''}`,
        opts.token ? '' : `    Admin token: ${server.adminToken}`,
        opts.testControl ? `    Test control: ${server.url}/__test/` : '',
        opts.kubeconfig ? `    Kubeconfig: ${opts.kubeconfig}` : '',
        '',
        opts.kubeconfig
          ? `    KUBECONFIG=${opts.kubeconfig} kubectl get namespaces`
          : opts.tls
            ? '    (kubectl needs the CA: use --kubeconfig FILE)'
            : '    kubectl sends tokens only over TLS: add --tls --kubeconfig FILE for kubectl',
        '',
        'Press Ctrl-C to stop.',
        '',
      ]
        .filter((line, i, all) => line !== '' || all[i - 1] !== '')
        .join('\n'),
    )
  }
  let stopping = false
  const stop = (why: string) => {
    if (stopping) return
    stopping = true
    if (!opts.json) process.stdout.write(`\n${why}, shutting down.\n`)
    void server.close().then(() => process.exit(0))
  }
  process.on('SIGINT', () => stop('SIGINT received'))
  process.on('SIGTERM', () => stop('SIGTERM received'))
  watchParent(stop)
}

void main()
