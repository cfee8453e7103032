/**
 * A small HTTP/1.1 server on a raw `net` socket. Node's own parser (llhttp) refuses the method
 * `LIST` with a 400 before any handler runs, and the vault CLI and hvac send `LIST`, so requests
 * are read here instead: request line, headers, `Content-Length` or chunked bodies, `Expect:
 * 100-continue`, persistent connections (keep-alive by default in HTTP/1.1, pipelined requests
 * answered in order) and `Connection: close`. Replies can be cut short on purpose (fault
 * injection): the socket is destroyed before the reply, after its headers, or mid-body.
 */
import net from 'node:net'

export interface HttpRequest {
  /** The method as sent, upper-cased (`GET`, `LIST`, …). */
  method: string
  /** The request target as sent (`/v1/secret/data/app?version=2`). */
  target: string
  /** The percent-decoded path (`/v1/secret/data/app`). */
  path: string
  query: URLSearchParams
  /** Header names lower-cased; repeated headers keep every value in order. */
  headers: Map<string, string[]>
  httpVersion: '1.0' | '1.1'
  body: Buffer
  /** Which connection carried the request (1, 2, …), to tell keep-alive reuse apart. */
  connectionId: number
  remoteAddress: string
}

/** How to break a reply on purpose. */
export interface DropDirective {
  /** `before-headers`: nothing is written; `after-headers`: status line and headers only; `partial-body`: part of the body. */
  stage: 'before-headers' | 'after-headers' | 'partial-body'
  /** For `partial-body`: how many body bytes to write (default: half). */
  bytes?: number
}

export interface TransportReply {
  status: number
  headers: [string, string][]
  body: Buffer | null
  drop?: DropDirective
}

export type RequestHandler = (req: HttpRequest) => Promise<TransportReply>

export interface TransportOptions {
  /** Largest accepted body; beyond it the reply is 413 (OpenBao's default is 32 MiB). */
  maxBodyBytes?: number
  /** Largest accepted request head (request line and headers). */
  maxHeaderBytes?: number
  /** Idle keep-alive connections are closed after this many milliseconds. */
  idleTimeoutMs?: number
}

const STATUS_TEXT: Record<number, string> = {
  100: 'Continue',
  200: 'OK',
  204: 'No Content',
  307: 'Temporary Redirect',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

class ProtocolError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

interface ParsedHead {
  method: string
  target: string
  httpVersion: '1.0' | '1.1'
  headers: Map<string, string[]>
}

function parseHead(text: string): ParsedHead {
  const lines = text.split('\r\n')
  const requestLine = lines.shift() ?? ''
  const match = /^(\S+) (\S+) HTTP\/(1\.[01])$/.exec(requestLine)
  if (!match || !TOKEN.test(match[1]!)) throw new ProtocolError(400, 'malformed request line')
  const headers = new Map<string, string[]>()
  for (const line of lines) {
    if (line === '') continue
    const colon = line.indexOf(':')
    if (colon <= 0) throw new ProtocolError(400, 'malformed header line')
    const name = line.slice(0, colon)
    if (!TOKEN.test(name)) throw new ProtocolError(400, 'malformed header name')
    const value = line.slice(colon + 1).trim()
    const key = name.toLowerCase()
    const list = headers.get(key)
    if (list) list.push(value)
    else headers.set(key, [value])
  }
  return {method: match[1]!.toUpperCase(), target: match[2]!, httpVersion: match[3] as '1.0' | '1.1', headers}
}

function headerValue(headers: Map<string, string[]>, name: string): string | undefined {
  return headers.get(name)?.[0]
}

function decodeTarget(target: string): {path: string; query: URLSearchParams} {
  let pathAndQuery = target
  if (/^https?:\/\//i.test(target)) {
    const url = new URL(target)
    pathAndQuery = url.pathname + url.search
  }
  const q = pathAndQuery.indexOf('?')
  const rawPath = q >= 0 ? pathAndQuery.slice(0, q) : pathAndQuery
  const rawQuery = q >= 0 ? pathAndQuery.slice(q + 1) : ''
  let path: string
  try {
    path = decodeURIComponent(rawPath)
  } catch {
    throw new ProtocolError(400, 'invalid URL escape')
  }
  return {path, query: new URLSearchParams(rawQuery)}
}

/** Why a connection stopped reading (for the chunked decoder's "need more data"). */
const NEED_MORE = Symbol('need-more')

/** Decodes a chunked body at the start of `buf`; returns the body and bytes consumed, or NEED_MORE. */
function decodeChunked(buf: Buffer, maxBody: number): {body: Buffer; consumed: number} | typeof NEED_MORE {
  const parts: Buffer[] = []
  let offset = 0
  let total = 0
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', offset)
    if (lineEnd < 0) return NEED_MORE
    const sizeText = buf.subarray(offset, lineEnd).toString('latin1').split(';')[0]!.trim()
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw new ProtocolError(400, 'invalid chunk size')
    const size = parseInt(sizeText, 16)
    offset = lineEnd + 2
    if (size === 0) {
      // Trailers, then the final empty line.
      for (;;) {
        const end = buf.indexOf('\r\n', offset)
        if (end < 0) return NEED_MORE
        const line = buf.subarray(offset, end)
        offset = end + 2
        if (line.length === 0) return {body: Buffer.concat(parts), consumed: offset}
      }
    }
    total += size
    if (total > maxBody) throw new ProtocolError(413, 'http: request body too large')
    if (buf.length < offset + size + 2) return NEED_MORE
    parts.push(buf.subarray(offset, offset + size))
    offset += size
    if (buf[offset] !== 0x0d || buf[offset + 1] !== 0x0a) throw new ProtocolError(400, 'invalid chunk terminator')
    offset += 2
  }
}

function statusLine(status: number): string {
  return `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Status'}\r\n`
}

export class HttpTransport {
  private readonly server: net.Server
  private readonly sockets = new Set<net.Socket>()
  private nextConnectionId = 1
  private closing = false
  private readonly maxBody: number
  private readonly maxHead: number
  private readonly idleTimeoutMs: number

  constructor(
    private readonly handler: RequestHandler,
    opts: TransportOptions = {},
  ) {
    this.maxBody = opts.maxBodyBytes ?? 32 * 1024 * 1024
    this.maxHead = opts.maxHeaderBytes ?? 1024 * 1024
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 120_000
    this.server = net.createServer((socket) => this.onConnection(socket))
  }

  /** Starts listening; resolves with the bound port. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err)
      this.server.once('error', onError)
      this.server.listen(port, host, () => {
        this.server.off('error', onError)
        const address = this.server.address()
        resolve(typeof address === 'object' && address ? address.port : port)
      })
    })
  }

  /** Stops accepting, destroys every open connection, resolves when the listener is closed. */
  close(): Promise<void> {
    this.closing = true
    for (const socket of this.sockets) socket.destroy()
    this.sockets.clear()
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve()
      this.server.close(() => resolve())
    })
  }

  /** Number of open client connections. */
  get connectionCount(): number {
    return this.sockets.size
  }

  private onConnection(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy()
      return
    }
    const connectionId = this.nextConnectionId++
    this.sockets.add(socket)
    socket.setNoDelay(true)
    socket.setTimeout(this.idleTimeoutMs, () => socket.destroy())
    socket.on('close', () => this.sockets.delete(socket))
    socket.on('error', () => socket.destroy())

    let buffer: Buffer = Buffer.alloc(0)
    let busy = false
    let head: ParsedHead | null = null
    let continueSent = false

    const fatal = (status: number, message: string) => {
      const body = Buffer.from(`${status} ${STATUS_TEXT[status] ?? 'Error'}: ${message}`, 'utf8')
      socket.end(
        statusLine(status) +
          `Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n` +
          body.toString('utf8'),
      )
      buffer = Buffer.alloc(0)
      busy = true
    }

    const pump = () => {
      while (!busy && !socket.destroyed) {
        try {
          if (!head) {
            const end = buffer.indexOf('\r\n\r\n')
            if (end < 0) {
              if (buffer.length > this.maxHead) throw new ProtocolError(431, 'request header too large')
              // Tolerate stray CRLFs between pipelined requests.
              if (buffer.length >= 2 && buffer[0] === 0x0d && buffer[1] === 0x0a) {
                buffer = buffer.subarray(2)
                continue
              }
              return
            }
            let start = 0
            while (buffer[start] === 0x0d && buffer[start + 1] === 0x0a) start += 2
            head = parseHead(buffer.subarray(start, end).toString('latin1'))
            buffer = buffer.subarray(end + 4)
            continueSent = false
          }
          const te = headerValue(head.headers, 'transfer-encoding')
          const clText = headerValue(head.headers, 'content-length')
          let body: Buffer
          if (
            te
              ?.toLowerCase()
              .split(',')
              .map((s) => s.trim())
              .includes('chunked')
          ) {
            this.maybeContinue(socket, head, continueSent)
            continueSent = true
            const decoded = decodeChunked(buffer, this.maxBody)
            if (decoded === NEED_MORE) return
            body = decoded.body
            buffer = buffer.subarray(decoded.consumed)
          } else if (clText !== undefined) {
            if (!/^[0-9]+$/.test(clText)) throw new ProtocolError(400, 'invalid Content-Length')
            const length = Number(clText)
            if (length > this.maxBody) throw new ProtocolError(413, 'http: request body too large')
            if (length > 0 && buffer.length < length) {
              this.maybeContinue(socket, head, continueSent)
              continueSent = true
              return
            }
            body = Buffer.from(buffer.subarray(0, length))
            buffer = buffer.subarray(length)
          } else {
            body = Buffer.alloc(0)
          }
          const parsed = head
          head = null
          busy = true
          void this.dispatch(socket, parsed, body, connectionId).then((keepOpen) => {
            busy = false
            if (!keepOpen || socket.destroyed) return
            socket.setTimeout(this.idleTimeoutMs)
            pump()
          })
        } catch (err) {
          if (err instanceof ProtocolError) {
            if (err.status === 413) {
              const text = `${JSON.stringify({errors: [err.message]})}\n`
              socket.end(
                statusLine(413) +
                  `Cache-Control: no-store\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n` +
                  text,
              )
              busy = true
              return
            }
            fatal(err.status, err.message)
            return
          }
          socket.destroy()
          return
        }
      }
    }

    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk])
      pump()
    })
  }

  private maybeContinue(socket: net.Socket, head: ParsedHead, alreadySent: boolean): void {
    if (alreadySent || head.httpVersion !== '1.1') return
    const expect = headerValue(head.headers, 'expect')
    if (expect && expect.toLowerCase() === '100-continue') socket.write('HTTP/1.1 100 Continue\r\n\r\n')
  }

  /** Runs the handler and writes its reply; resolves with whether the connection stays open. */
  private async dispatch(socket: net.Socket, head: ParsedHead, body: Buffer, connectionId: number): Promise<boolean> {
    let reply: TransportReply
    let decoded: {path: string; query: URLSearchParams}
    try {
      decoded = decodeTarget(head.target)
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      socket.end(
        `${statusLine(400)}Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: ${message.length}\r\n\r\n${message}`,
      )
      return false
    }
    const request: HttpRequest = {
      method: head.method,
      target: head.target,
      path: decoded.path,
      query: decoded.query,
      headers: head.headers,
      httpVersion: head.httpVersion,
      body,
      connectionId,
      remoteAddress: socket.remoteAddress ?? '',
    }
    try {
      reply = await this.handler(request)
    } catch (err) {
      const text = `${JSON.stringify({errors: [err instanceof Error ? err.message : String(err)]})}\n`
      reply = {status: 500, headers: [['Content-Type', 'application/json']], body: Buffer.from(text)}
    }
    if (socket.destroyed) return false

    const connectionHeader = (headerValue(head.headers, 'connection') ?? '').toLowerCase()
    const keepAlive =
      !this.closing &&
      (head.httpVersion === '1.1'
        ? !connectionHeader
            .split(',')
            .map((s) => s.trim())
            .includes('close')
        : connectionHeader === 'keep-alive')

    const noBody = reply.status === 204 || reply.status === 304 || (reply.status >= 100 && reply.status < 200)
    const bodyBytes = noBody ? null : (reply.body ?? Buffer.alloc(0))
    let headText = statusLine(reply.status)
    const seen = new Set<string>()
    for (const [name, value] of reply.headers) {
      seen.add(name.toLowerCase())
      headText += `${name}: ${value}\r\n`
    }
    if (!seen.has('date')) headText += `Date: ${new Date().toUTCString()}\r\n`
    if (bodyBytes) headText += `Content-Length: ${bodyBytes.length}\r\n`
    if (!keepAlive) headText += 'Connection: close\r\n'
    else if (head.httpVersion === '1.0') headText += 'Connection: keep-alive\r\n'
    headText += '\r\n'

    const drop = reply.drop
    if (drop) {
      if (drop.stage === 'before-headers') {
        socket.destroy()
        return false
      }
      let out = Buffer.from(headText, 'latin1')
      if (drop.stage === 'partial-body' && bodyBytes && head.method !== 'HEAD') {
        const n = Math.max(0, Math.min(bodyBytes.length - 1, drop.bytes ?? Math.floor(bodyBytes.length / 2)))
        out = Buffer.concat([out, bodyBytes.subarray(0, n)])
      }
      await new Promise<void>((resolve) => socket.write(out, () => resolve()))
      socket.destroy()
      return false
    }

    const payload =
      bodyBytes && head.method !== 'HEAD' ? Buffer.concat([Buffer.from(headText, 'latin1'), bodyBytes]) : Buffer.from(headText, 'latin1')
    if (keepAlive) {
      socket.write(payload)
      return true
    }
    socket.end(payload)
    return false
  }
}
