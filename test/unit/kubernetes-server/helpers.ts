/**
 * Shared pieces of the Kubernetes test server's tests: a JSON client for direct API calls, and a
 * kubectl runner that points real kubectl at a server through a temporary kubeconfig and a
 * temporary HOME (so nothing is read from or written to ~/.kube, including kubectl's cache).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {execa} from 'execa'
import type {KubeTestServer} from '../../support/kubernetes/index.js'

export const KUBECTL = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => fs.existsSync(p))

export interface ApiResponse {
  status: number
  headers: Headers
  body: any
  text: string
}

/** One API call with a bearer token; JSON bodies unless `contentType` says otherwise. */
export async function api(
  server: KubeTestServer,
  method: string,
  urlPath: string,
  opts: {token?: string | null; body?: unknown; contentType?: string; accept?: string} = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = {}
  const token = opts.token === undefined ? server.adminToken : opts.token
  if (token) headers.Authorization = `Bearer ${token}`
  if (opts.accept) headers.Accept = opts.accept
  let body: string | undefined
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body)
    headers['Content-Type'] = opts.contentType ?? 'application/json'
  }
  const res = await fetch(`${server.url}${urlPath}`, {method, headers, body})
  const text = await res.text()
  let parsed: unknown
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    parsed = undefined
  }
  return {status: res.status, headers: res.headers, body: parsed, text}
}

export interface Kubectl {
  run(args: string[], opts?: {input?: string; token?: string}): Promise<{exitCode: number; stdout: string; stderr: string}>
  /** Every stdout and stderr kubectl printed, for canary searches. */
  readonly transcript: string[]
  dir: string
  cleanup(): void
}

/** A kubectl bound to `server` (which must serve TLS: kubectl sends tokens only over https). */
export function kubectlFor(server: KubeTestServer): Kubectl {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubectl-test-'))
  const transcript: string[] = []
  const configs = new Map<string, string>()
  const configFor = (token: string) => {
    let file = configs.get(token)
    if (!file) {
      file = path.join(dir, `kubeconfig-${configs.size}`)
      fs.writeFileSync(file, server.kubeconfig({token}), {mode: 0o600})
      configs.set(token, file)
    }
    return file
  }
  return {
    dir,
    transcript,
    async run(args, opts = {}) {
      const result = await execa(KUBECTL!, args, {
        env: {HOME: dir, KUBECONFIG: configFor(opts.token ?? server.adminToken), KUBECACHEDIR: path.join(dir, 'cache')},
        extendEnv: false,
        input: opts.input,
        reject: false,
        timeout: 60_000,
      })
      transcript.push(String(result.stdout), String(result.stderr))
      return {exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr)}
    },
    cleanup() {
      fs.rmSync(dir, {recursive: true, force: true})
    },
  }
}
