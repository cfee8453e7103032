/**
 * A throwaway, real PostgreSQL server for tests (never a mock).
 *
 * Binaries: Debian's `postgresql` package (`initdb`, `pg_ctl` under /usr/lib/postgresql/N/bin),
 * which `scripts/install-test-deps.sh` installs with apt; `SECRETCTL_PG_BINDIR` points elsewhere
 * (e.g. Homebrew), and `pg_config --bindir` / PATH are tried last. See docs/postgres-in-tests.md.
 *
 * `startPostgres()` makes a private temp dir, runs initdb there (superuser `postgres` with a random
 * password, scram-sha-256 over TCP), starts the server on a free 127.0.0.1 port, and creates a role
 * and a database of that name (`secretctl`, the owner, not a superuser). `stop()` shuts it down
 * and removes the dir.
 *
 * PostgreSQL refuses to run as root: as root (CI) every server process runs as the `postgres`
 * user (`SECRETCTL_PG_USER` names another), which the Debian package creates.
 *
 * No server outlives the test process: the server is started and stopped by a small `sh`
 * watchdog whose stdin is a pipe from this process. `stop()` closes the pipe; a process 'exit'
 * hook stops the server synchronously (`pg_ctl stop -m immediate`) and removes the dir; and if
 * this process dies without running hooks (SIGKILL, crash), the kernel closes the pipe and the
 * watchdog stops the server and removes the dir by itself.
 */
import {execFileSync, spawn, spawnSync, type ChildProcessByStdio} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import type {Readable, Writable} from 'node:stream'
import pg from 'pg'

export interface PostgresServer {
  /** postgres://secretctl:PASSWORD@127.0.0.1:PORT/secretctl: owner of its database, not a superuser. */
  url: string
  /** postgres://postgres:PASSWORD@127.0.0.1:PORT/postgres: the superuser, for creating databases and roles. */
  adminUrl: string
  port: number
  /** The temp dir holding the data dir, socket and log; gone after `stop()`. */
  dir: string
  /** Stops the server (fast shutdown) and removes `dir`. Idempotent. */
  stop(): Promise<void>
}

const INSTALL_HINT = [
  'Install them with one of:',
  '  Debian/Ubuntu: sudo bash scripts/install-test-deps.sh   (apt-get install -y postgresql)',
  '  macOS:         brew install postgresql@16, then export SECRETCTL_PG_BINDIR="$(brew --prefix postgresql@16)/bin"',
  '  elsewhere:     export SECRETCTL_PG_BINDIR=/dir/holding/initdb/and/pg_ctl',
  'Or run the tests against a server of your own: export SECRETCTL_TEST_PG=postgres://superuser:pw@host:port/postgres',
  'See docs/postgres-in-tests.md.',
].join('\n')

const hasBinaries = (dir: string): boolean => ['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(path.join(dir, b)))

/** The directory holding `initdb`, `pg_ctl` and `postgres`, or an Error that says how to install them. */
export function findPostgresBinDir(): string {
  const tried: string[] = []
  const fromEnv = process.env.SECRETCTL_PG_BINDIR
  if (fromEnv) {
    if (hasBinaries(fromEnv)) return fromEnv
    throw new Error(`SECRETCTL_PG_BINDIR=${fromEnv} does not hold initdb, pg_ctl and postgres.\n${INSTALL_HINT}`)
  }
  const debian = '/usr/lib/postgresql'
  tried.push(`${debian}/*/bin`)
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v) && hasBinaries(path.join(debian, v, 'bin')))
      .sort((a, b) => Number(b) - Number(a))
    if (versions.length) return path.join(debian, versions[0]!, 'bin')
  }
  tried.push('`pg_config --bindir`')
  try {
    const dir = execFileSync('pg_config', ['--bindir'], {stdio: ['ignore', 'pipe', 'ignore']})
      .toString()
      .trim()
    if (dir && hasBinaries(dir)) return dir
  } catch {
    // no pg_config
  }
  tried.push('PATH')
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) if (dir && hasBinaries(dir)) return dir
  throw new Error(`PostgreSQL server binaries (initdb, pg_ctl, postgres) not found; looked in ${tried.join(', ')}.\n${INSTALL_HINT}`)
}

interface RunAs {
  uid?: number
  gid?: number
  name: string
}

/** As root: the unprivileged user the server runs as. Otherwise: ourselves. */
function runAs(): RunAs {
  if (process.getuid?.() !== 0) return {name: 'current user'}
  const name = process.env.SECRETCTL_PG_USER || 'postgres'
  try {
    const uid = Number(
      execFileSync('id', ['-u', name], {stdio: ['ignore', 'pipe', 'ignore']})
        .toString()
        .trim(),
    )
    const gid = Number(
      execFileSync('id', ['-g', name], {stdio: ['ignore', 'pipe', 'ignore']})
        .toString()
        .trim(),
    )
    if (uid === 0) throw new Error(`SECRETCTL_PG_USER=${name} is root`)
    return {uid, gid, name}
  } catch (e) {
    throw new Error(
      `Running as root, and PostgreSQL refuses to run as root, but there is no unprivileged user "${name}" to run it as ` +
        `(${(e as Error).message.split('\n')[0]}). The Debian package creates "postgres" (bash scripts/install-test-deps.sh); ` +
        'or create one (useradd --system --user-group postgres), or name one in SECRETCTL_PG_USER.',
    )
  }
}

/** The environment for server processes: ours without PG* variables (PGPORT, PGDATA would steer pg_ctl). */
function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v
  env.LC_ALL = 'C'
  env.LANG = 'C'
  return env
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const {port} = srv.address() as {port: number}
      srv.close(() => resolve(port))
    })
  })
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}

/**
 * The watchdog: starts the server, prints `ready`, then blocks reading stdin. When stdin closes
 * (stop(), or this process gone for any reason) it stops the server and removes the dir.
 */
const WATCHDOG = `
bin=$1 data=$2 log=$3 base=$4
"$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null 2>&1 || {
  "$bin/pg_ctl" -D "$data" -m immediate -w -t 30 stop >/dev/null 2>&1
  exit 3
}
echo ready
cat >/dev/null
"$bin/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1 || "$bin/pg_ctl" -D "$data" -m immediate -w -t 30 stop >/dev/null 2>&1
rm -rf "$base"
`

type Watchdog = ChildProcessByStdio<Writable, Readable, null>

/** Starts the server through the watchdog; resolves once it accepts connections, rejects with the log's tail otherwise. */
function startWatchdog(bin: string, data: string, log: string, base: string, user: RunAs, env: NodeJS.ProcessEnv): Promise<Watchdog> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', WATCHDOG, 'secretctl-pg-watchdog', bin, data, log, base], {
      stdio: ['pipe', 'pipe', 'ignore'],
      detached: true, // its own process group: a Ctrl-C on the test run reaches it only through the pipe
      env,
      uid: user.uid,
      gid: user.gid,
    })
    let out = ''
    const onData = (chunk: Buffer) => {
      out += chunk.toString()
      if (!out.includes('ready\n')) return
      child.stdout.off('data', onData)
      child.off('exit', onExit)
      child.stdout.resume()
      child.unref()
      ;(child.stdin as Writable & {unref?: () => void}).unref?.()
      ;(child.stdout as Readable & {unref?: () => void}).unref?.()
      resolve(child)
    }
    const onExit = (code: number | null, signal: string | null) =>
      reject(new Error(`PostgreSQL did not start (pg_ctl start: exit ${code ?? signal}). Server log ${log}:\n${tail(log)}`))
    child.stdout.on('data', onData)
    child.once('exit', onExit)
    child.once('error', reject)
  })
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = findPostgresBinDir()
  const user = runAs()
  const env = serverEnv()
  const asUser = {uid: user.uid, gid: user.gid, env, stdio: 'pipe' as const}

  const base = mkdtempSync(path.join(tmpdir(), 'secretctl-pg-')) // 0700: the socket dir, so local `trust` reaches no one else
  const data = path.join(base, 'data')
  const log = path.join(base, 'server.log')
  let removed = false
  const removeBase = () => {
    if (!removed) rmSync(base, {recursive: true, force: true})
    removed = true
  }
  try {
    const adminPassword = randomBytes(18).toString('hex')
    const appPassword = randomBytes(18).toString('hex')
    const pwfile = path.join(base, 'pw')
    writeFileSync(pwfile, `${adminPassword}\n`, {mode: 0o600})
    if (user.uid !== undefined) {
      chownSync(base, user.uid, user.gid!)
      chownSync(pwfile, user.uid, user.gid!)
    }
    try {
      execFileSync(
        path.join(bin, 'initdb'),
        [
          '-D',
          data,
          '-U',
          'postgres',
          '--pwfile',
          pwfile,
          '--auth-host=scram-sha-256',
          '--auth-local=trust',
          '-E',
          'UTF8',
          '--locale=C',
          '--no-sync',
        ],
        asUser,
      )
    } catch (e) {
      const err = e as {stderr?: Buffer; message: string}
      throw new Error(
        `initdb failed as ${user.name} in ${base}: ${err.stderr?.toString().trim() || err.message}` +
          (user.uid !== undefined
            ? `\n(as root the server runs as "${user.name}": every directory above ${base} must be searchable by that user; set TMPDIR=/tmp)`
            : ''),
      )
    }
    rmSync(pwfile)

    for (let attempt = 1; ; attempt++) {
      const port = await freePort()
      // Throwaway data: durability off. listen only on loopback; the socket stays in the private dir.
      appendFileSync(
        path.join(data, 'postgresql.conf'),
        [
          '',
          '# secretctl test harness',
          `port = ${port}`,
          "listen_addresses = '127.0.0.1'",
          `unix_socket_directories = '${base.replace(/'/g, "''")}'`,
          'fsync = off',
          'synchronous_commit = off',
          'full_page_writes = off',
          'max_connections = 200',
          '',
        ].join('\n'),
      )
      let watchdog: Watchdog
      try {
        watchdog = await startWatchdog(bin, data, log, base, user, env)
      } catch (e) {
        // Another process may have taken the port between freePort() and the bind: try another.
        if (attempt < 3 && /could not bind|already in use/i.test(tail(log, 50))) continue
        throw e
      }

      const pgCtlStopNow = () => {
        spawnSync(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop'], {...asUser, stdio: 'ignore'})
        removeBase()
      }
      const onExit = () => pgCtlStopNow()
      process.once('exit', onExit)

      let stopping: Promise<void> | undefined
      const stop = () =>
        (stopping ??= new Promise<void>((resolve) => {
          process.removeListener('exit', onExit)
          const timer = setTimeout(() => {
            watchdog.kill('SIGKILL')
            pgCtlStopNow()
            resolve()
          }, 60_000)
          watchdog.once('exit', () => {
            clearTimeout(timer)
            removeBase() // the watchdog removed it; make sure
            resolve()
          })
          watchdog.stdin.end()
        }))

      const adminUrl = `postgres://postgres:${adminPassword}@127.0.0.1:${port}/postgres`
      try {
        const admin = new pg.Client({connectionString: adminUrl})
        await admin.connect()
        try {
          await admin.query(`CREATE ROLE secretctl LOGIN PASSWORD '${appPassword}'`)
          await admin.query('CREATE DATABASE secretctl OWNER secretctl')
        } finally {
          await admin.end()
        }
      } catch (e) {
        await stop()
        throw e
      }
      return {
        url: `postgres://secretctl:${appPassword}@127.0.0.1:${port}/secretctl`,
        adminUrl,
        port,
        dir: base,
        stop,
      }
    }
  } catch (e) {
    removeBase()
    throw e
  }
}
