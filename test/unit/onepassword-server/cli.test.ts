/**
 * The standalone server (`npm run onepassword:dev`): it prints its address, serves the API and
 * the test-control API, stops on SIGTERM and SIGINT, and stops by itself when the process that
 * started it is killed.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterEach, describe, expect, it} from 'vitest'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const tsx = path.join(root, 'node_modules/.bin/tsx')
const cli = path.join(root, 'test/support/onepassword/cli.ts')

function start(args: string[]): {child: ChildProcess; firstOutput: Promise<string>; output: () => string} {
  const child = spawn(tsx, [cli, ...args], {cwd: root, stdio: ['ignore', 'pipe', 'pipe']})
  let out = ''
  const firstOutput = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d.toString()
      if (out.includes('\n') && (args.includes('--json') || out.includes('Press Ctrl-C'))) resolve(out)
    })
    child.stderr!.on('data', (d) => {
      out += d.toString()
    })
    child.on('exit', (code) => reject(new Error(`exited early with ${code}: ${out}`)))
  })
  return {child, firstOutput, output: () => out}
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)))
}

async function control(address: string, method: string, route: string, body?: unknown): Promise<any> {
  const res = await fetch(`${address}/__test/${route}`, {method, body: body === undefined ? undefined : JSON.stringify(body)})
  const text = await res.text()
  return text ? JSON.parse(text) : undefined
}

describe('1Password Connect test server: standalone CLI', () => {
  const children: ChildProcess[] = []
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })

  it('prints its address (not the given token), serves the API and test control, and stops on SIGTERM', async () => {
    const token = 'cli-canary-token-4b7e'
    const started = start(['--port', '0', '--token', token, '--vault', 'Prod', '--json'])
    children.push(started.child)
    const info = JSON.parse((await started.firstOutput).trim())
    expect(info.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(info.token).toBeUndefined()
    expect(info.vaults).toEqual([expect.objectContaining({name: 'Prod', id: expect.stringMatching(/^[a-z0-9]{26}$/)})])
    const auth = {Authorization: `Bearer ${token}`}
    expect((await fetch(`${info.address}/heartbeat`)).status).toBe(200)
    expect(await (await fetch(`${info.address}/v1/vaults`, {headers: auth})).json()).toEqual([expect.objectContaining({name: 'Prod'})])

    const item = await control(info.address, 'POST', 'vaults/Prod/items', {title: 'db', category: 'DATABASE', fields: {password: 'pw-1'}})
    expect(item).toMatchObject({title: 'db', version: 1})
    const edited = await control(info.address, 'PATCH', `vaults/Prod/items/db`, {values: {password: 'pw-2'}})
    expect(edited.version).toBe(2)
    const reader = await control(info.address, 'POST', 'tokens', {vaults: {Prod: 'read'}})
    const read = await fetch(`${info.address}/v1/vaults/${info.vaults[0].id}/items/${item.id}`, {
      headers: {Authorization: `Bearer ${reader.token}`},
    })
    expect((await read.json()).fields[0].value).toBe('pw-2')
    const log = await control(info.address, 'GET', 'log')
    expect(log.entries.map((e: any) => e.tokenId)).toContain(reader.id)
    expect(JSON.stringify(log)).not.toContain(token)

    const exited = exitOf(started.child)
    started.child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(started.output()).not.toContain(token)
  })

  it('prints a banner with a minted token when none is given, and stops on SIGINT', async () => {
    const started = start(['--port', '0'])
    children.push(started.child)
    const banner = await started.firstOutput
    const address = /Address: (\S+)/.exec(banner)![1]!
    const token = /Token: (\S+)/.exec(banner)![1]!
    expect(token).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/)
    expect((await fetch(`${address}/v1/vaults`, {headers: {Authorization: `Bearer ${token}`}})).status).toBe(200)
    expect((await fetch(`${address}/v1/vaults`)).status).toBe(401)
    const exited = exitOf(started.child)
    started.child.kill('SIGINT')
    expect(await exited).toBe(0)
  })

  it('refuses an unknown flag with exit code 2', async () => {
    const child = spawn(tsx, [cli, '--bogus'], {cwd: root, stdio: ['ignore', 'pipe', 'pipe']})
    children.push(child)
    let err = ''
    child.stderr.on('data', (d) => {
      err += d.toString()
    })
    expect(await exitOf(child)).toBe(2)
    expect(err).toContain('unknown flag --bogus')
  })

  it('stops by itself when the process that started it is killed', async () => {
    // A starter that runs the server with its own stdout (inherited from the starter), then gets SIGKILLed:
    // once the server has exited, nothing holds the pipe open any more and it closes.
    const starter = spawn(
      process.execPath,
      [
        '-e',
        `require('node:child_process').spawn(${JSON.stringify(tsx)}, [${JSON.stringify(cli)}, '--port', '0', '--json'], {stdio: ['ignore', 'inherit', 'inherit']}); setInterval(() => {}, 1000)`,
      ],
      {cwd: root, stdio: ['ignore', 'pipe', 'pipe']},
    )
    children.push(starter)
    let out = ''
    const closed = new Promise<void>((resolve) => starter.stdout.on('close', () => resolve()))
    const address = await new Promise<string>((resolve, reject) => {
      starter.stdout.on('data', (d) => {
        out += d.toString()
        if (out.includes('\n')) resolve(JSON.parse(out.trim()).address as string)
      })
      starter.on('exit', (code) => reject(new Error(`starter exited early with ${code}: ${out}`)))
    })
    expect((await fetch(`${address}/heartbeat`)).status).toBe(200)
    starter.kill('SIGKILL')
    await closed
    await expect(fetch(`${address}/heartbeat`)).rejects.toThrow()
  })
})
