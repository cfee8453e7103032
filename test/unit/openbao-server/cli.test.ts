import {spawn, type ChildProcess} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import path from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const tsx = path.join(root, 'node_modules/.bin/tsx')
const cli = path.join(root, 'test/support/openbao/cli.ts')

function start(args: string[]): {child: ChildProcess; firstOutput: Promise<string>} {
  const child = spawn(tsx, [cli, ...args], {cwd: root, stdio: ['ignore', 'pipe', 'pipe']})
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
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)))
}

describe('OpenBao test server: standalone CLI', () => {
  let child: ChildProcess | undefined
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL')
  })

  it('prints its address and root token, serves requests, and stops on SIGTERM', async () => {
    const started = start(['--port', '0', '--root-token', 'cli-root', '--json'])
    child = started.child
    const info = JSON.parse((await started.firstOutput).trim())
    expect(info.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(info.rootToken).toBe('cli-root')
    const health = await fetch(`${info.address}/v1/sys/health`)
    expect(health.status).toBe(200)
    const list = await fetch(`${info.address}/v1/secret/metadata/?list=true`, {headers: {'X-Vault-Token': 'cli-root'}})
    expect(list.status).toBe(404)
    const exited = exitOf(child)
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  })

  it('prints a human banner and stops on SIGINT; --no-dev-mounts starts without secret/', async () => {
    const started = start(['--port', '0', '--root-token', 'T', '--no-dev-mounts'])
    child = started.child
    const banner = await started.firstOutput
    expect(banner).toContain('Root Token: T')
    const address = /Api Address: (\S+)/.exec(banner)![1]!
    const res = await fetch(`${address}/v1/secret/data/x`, {headers: {'X-Vault-Token': 'T'}})
    expect(await res.json()).toEqual({errors: ['no handler for route "secret/data/x". route entry not found.']})
    const exited = exitOf(child)
    child.kill('SIGINT')
    expect(await exited).toBe(0)
  })
})
