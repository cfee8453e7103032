/**
 * A throwaway PostgreSQL server for tests: Debian's binaries (`initdb`, `pg_ctl`, installed by
 * .ci/run with apt), a temp data directory, a free 127.0.0.1 port, password auth, removed on
 * stop. As root (CI) the server runs as the `postgres` user, since initdb refuses root. A process
 * exit hook stops it, so no server outlives the test run. Never a mock.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir, userInfo} from 'node:os'
import path from 'node:path'

export interface PostgresServer {
  /** postgres://secretctl:PASSWORD@127.0.0.1:PORT/postgres: a superuser, for creating databases and roles. */
  adminUrl: string
  port: number
  stop(): Promise<void>
}

function findBinDir(): string {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin/initdb'))).sort((a, b) => Number(b) - Number(a)) : []
  if (!versions.length) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql: install them with `apt-get install -y postgresql` (bash scripts/install-test-deps.sh)')
  return path.join(root, versions[0]!, 'bin')
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as {port: number}).port
      srv.close(() => resolve(port))
    })
  })
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = findBinDir()
  const asRoot = userInfo().uid === 0
  const run = (cmd: string, args: string[]) => {
    const file = path.join(bin, cmd)
    return asRoot ? execFileSync('runuser', ['-u', 'postgres', '--', file, ...args], {stdio: 'pipe'}) : execFileSync(file, args, {stdio: 'pipe'})
  }
  const base = mkdtempSync(path.join(tmpdir(), 'secretctl-pg-'))
  const data = path.join(base, 'data')
  const password = randomBytes(12).toString('hex')
  const pwfile = path.join(base, 'pw')
  writeFileSync(pwfile, password + '\n')
  if (asRoot) {
    chmodSync(base, 0o755)
    chownSync(base, userUid('postgres'), userGid('postgres'))
    chownSync(pwfile, userUid('postgres'), userGid('postgres'))
  }
  run('initdb', ['-D', data, '-U', 'secretctl', '--pwfile', pwfile, '--auth-host=scram-sha-256', '--auth-local=trust', '-E', 'UTF8', '--no-sync'])
  const port = await freePort()
  const logFile = path.join(base, 'server.log')
  run('pg_ctl', ['-D', data, '-l', logFile, '-w', '-t', '60', 'start', '-o', `-p ${port} -c listen_addresses=127.0.0.1 -k ${base} -c fsync=off -c max_connections=200`])
  const stopNow = () => {
    const file = path.join(bin, 'pg_ctl')
    const args = ['-D', data, '-m', 'immediate', '-w', 'stop']
    spawnSync(asRoot ? 'runuser' : file, asRoot ? ['-u', 'postgres', '--', file, ...args] : args, {stdio: 'ignore'})
    rmSync(base, {recursive: true, force: true})
  }
  process.once('exit', stopNow)
  return {
    adminUrl: `postgres://secretctl:${password}@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      process.removeListener('exit', stopNow)
      stopNow()
    },
  }
}

function userUid(name: string): number {
  return Number(execFileSync('id', ['-u', name]).toString().trim())
}
function userGid(name: string): number {
  return Number(execFileSync('id', ['-g', name]).toString().trim())
}
