/**
 * `npm run kube:dev` (test/support/kubernetes/cli.ts) as a process: it prints its address, takes
 * `--token` as the admin token, serves the API (and kubectl through `--kubeconfig` with `--tls`),
 * and stops on SIGTERM, on SIGINT, and when its parent process goes away.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {execa} from 'execa'
import {afterEach, describe, expect, it} from 'vitest'
import {processExited} from '../../support/process-exited.js'
import {waitFor} from '../../support/wait-for.js'
import {KUBECTL} from './helpers.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const tsx = path.join(root, 'node_modules/.bin/tsx')
const cli = path.join(root, 'test/support/kubernetes/cli.ts')

function start(args: string[], stdin: 'ignore' | 'pipe' = 'ignore'): {child: ChildProcess; firstOutput: Promise<string>} {
  const child = spawn(tsx, [cli, ...args], {cwd: root, stdio: [stdin, 'pipe', 'pipe']})
  const firstOutput = new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d) => {
      out += d.toString()
      if (out.includes('\n') && (args.includes('--json') || out.includes('Press Ctrl-C'))) resolve(out)
    })
    child.on('exit', (code) => reject(new Error(`exited early with ${code}: ${out}`)))
  })
  return {child, firstOutput}
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode)
    else child.on('exit', (code) => resolve(code))
  })
}

describe('Kubernetes test server: standalone CLI', () => {
  let child: ChildProcess | undefined
  const dirs: string[] = []
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL')
    for (const d of dirs.splice(0)) fs.rmSync(d, {recursive: true, force: true})
  })

  it('prints its address, accepts --token as the admin token, and stops on SIGTERM', async () => {
    const started = start(['--port', '0', '--token', 'cli-admin-token', '--json'])
    child = started.child
    const info = JSON.parse((await started.firstOutput).trim())
    expect(info.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(JSON.stringify(info)).not.toContain('cli-admin-token')
    const ok = await fetch(`${info.address}/api/v1/namespaces/default/secrets`, {headers: {Authorization: 'Bearer cli-admin-token'}})
    expect(ok.status).toBe(200)
    expect((await fetch(`${info.address}/api/v1/namespaces/default/secrets`)).status).toBe(401)
    const exited = exitOf(child)
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  })

  it('prints a banner and stops on SIGINT', async () => {
    const started = start(['--port', '0', '--token', 'T'])
    child = started.child
    const banner = await started.firstOutput
    expect(banner).toMatch(/Address: http:\/\/127\.0\.0\.1:\d+/)
    expect(banner).not.toContain('Admin token')
    const exited = exitOf(child)
    child.kill('SIGINT')
    expect(await exited).toBe(0)
  })

  it('stops when its stdin pipe closes (the parent went away)', async () => {
    const started = start(['--port', '0', '--token', 'T', '--json'], 'pipe')
    child = started.child
    await started.firstOutput
    const exited = exitOf(child)
    child.stdin!.end()
    expect(await exited).toBe(0)
  })

  it('stops when the process that started it is killed', async () => {
    // A launcher that starts the server (through tsx, as npm run does) and is then SIGKILLed.
    const launcher = spawn(
      process.execPath,
      [
        '-e',
        `require('child_process').spawn(${JSON.stringify(tsx)}, [${JSON.stringify(cli)}, '--port', '0', '--token', 'T', '--json'], {stdio: ['ignore', 'inherit', 'inherit']}); setInterval(() => {}, 1000)`,
      ],
      {cwd: root, stdio: ['ignore', 'pipe', 'pipe']},
    )
    child = launcher
    const line = await new Promise<string>((resolve, reject) => {
      let out = ''
      launcher.stdout!.on('data', (d) => {
        out += d.toString()
        if (out.includes('\n')) resolve(out)
      })
      launcher.on('exit', (code) => reject(new Error(`launcher exited early with ${code}: ${out}`)))
    })
    const {pid, address} = JSON.parse(line.trim())
    expect((await fetch(`${address}/version`, {headers: {Authorization: 'Bearer T'}})).status).toBe(200)
    launcher.kill('SIGKILL')
    // The server checks every 250 ms; the bound only stops a hang.
    await waitFor('the server to stop after its launcher was killed', () => processExited(pid))
  })

  it('rejects an unknown flag with exit code 2', async () => {
    const result = await execa(tsx, [cli, '--bogus'], {cwd: root, reject: false, timeout: 60_000})
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('unknown flag --bogus')
  })

  it.skipIf(!KUBECTL)('serves kubectl over TLS with the kubeconfig it writes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-cli-test-'))
    dirs.push(dir)
    const kubeconfig = path.join(dir, 'config')
    const started = start(['--port', '0', '--token', 'tls-admin', '--tls', '--kubeconfig', kubeconfig, '--namespace', 'staging', '--json'])
    child = started.child
    const info = JSON.parse((await started.firstOutput).trim())
    expect(info.address).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    expect(fs.statSync(kubeconfig).mode & 0o777).toBe(0o600)
    const res = await execa(KUBECTL!, ['get', 'namespace', 'staging', '-o', 'name'], {
      env: {HOME: dir, KUBECONFIG: kubeconfig},
      extendEnv: false,
      reject: false,
      timeout: 60_000,
    })
    expect(res.exitCode, String(res.stderr)).toBe(0)
    expect(String(res.stdout).trim()).toBe('namespace/staging')
  })
})
