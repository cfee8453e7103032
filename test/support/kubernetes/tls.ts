/**
 * A self-signed certificate for 127.0.0.1 (and localhost), made once per process with the
 * `openssl` command (a P-256 key; the certificate is its own CA). HTTPS matters because kubectl
 * sends a bearer token only over TLS (clientcmd reads credentials only when the transport is
 * TLS), so an RBAC test with real kubectl needs the server on https with this CA in the
 * kubeconfig. The key stays in memory; the temporary directory openssl wrote to is removed.
 */
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export interface TlsMaterial {
  /** PEM certificate (also the CA a client trusts). */
  cert: string
  /** PEM private key. */
  key: string
}

let cached: TlsMaterial | undefined

export function testCertificate(): TlsMaterial {
  if (cached) return cached
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-test-tls-'))
  try {
    const keyFile = path.join(dir, 'key.pem')
    const certFile = path.join(dir, 'cert.pem')
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-subj',
        '/CN=secretctl kubernetes test server',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,digitalSignature,keyCertSign',
        '-addext',
        'extendedKeyUsage=serverAuth',
        '-days',
        '3650',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      {stdio: ['ignore', 'ignore', 'pipe']},
    )
    cached = {cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8')}
    return cached
  } finally {
    fs.rmSync(dir, {recursive: true, force: true})
  }
}
