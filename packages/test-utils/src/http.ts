import { type Agent, request as httpRequest } from 'node:http'
import { connect } from 'node:net'

/** POSTs `size` bytes with Transfer-Encoding: chunked (no Content-Length), 16 KiB at a time. */
export function chunkedPost(url: string, size: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    // Valid JSON, so a framework that parses first sees only the size problem.
    const chunk = Buffer.alloc(16 * 1024, 0x78)
    req.write('{"EventId":"chunked","Padding":"')
    let sent = 0
    const write = () => {
      while (sent < size) {
        sent += chunk.length
        if (!req.write(chunk)) return void req.once('drain', write)
      }
      req.end('"}')
    }
    write()
  })
}

/** A POST through a given agent; resolves with the answer, whatever happens to the upload after it. */
export function postOn(
  agent: Agent,
  url: string,
  body: Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': String(body.length) } },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          text += chunk
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
        res.on('error', reject)
      },
    )
    // An upload cut off after the answer (EPIPE) is expected; an error before it fails the test.
    req.on('error', reject)
    req.end(body)
  })
}

/**
 * A client that writes its whole upload as fast as it can (declared or chunked) and only then
 * looks at what came back, as a plain sender does: resolves with the status line's code, or the
 * socket error when no answer arrived at all. An early answer followed by a broken pipe counts as
 * the answer.
 */
export function uploadThenRead(url: string, size: number, chunked: boolean): Promise<string> {
  const { hostname, port, pathname } = new URL(url)
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname)
    let received = ''
    let settled = false
    const settle = (value: string) => {
      if (settled) return
      settled = true
      socket.destroy()
      resolve(value)
    }
    socket.on('data', (data) => {
      received += data.toString('latin1')
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received)
      if (match && received.includes('\r\n\r\n')) settle(match[1] as string)
    })
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received)
      settle(match ? (match[1] as string) : (error.code ?? 'error'))
    })
    socket.on('close', () => settle(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 'closed without an answer'))
    socket.write(
      `POST ${pathname} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\n${
        chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${size}`
      }\r\n\r\n`,
    )
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    const framed = chunked
      ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])
      : chunk
    let sent = 0
    const write = () => {
      while (sent < size && !settled && !socket.destroyed) {
        sent += chunk.length
        if (!socket.write(framed)) return void socket.once('drain', write)
      }
      // The upload ends, the socket stays open for the answer (no half-close, as HTTP clients do).
      if (!settled && !socket.destroyed && chunked) socket.write('0\r\n\r\n')
    }
    socket.on('connect', write)
  })
}

/**
 * Sends one delivery the way SuperOffice does: up to 3 attempts, 1 s then 4 s apart, again on any
 * answer but 200 and on a broken connection (a busy machine resets one now and then). Resolves
 * with the last status (0 when the last attempt broke) and how many attempts it took.
 */
export async function sendLikeSuperOffice(send: () => Promise<number>): Promise<{ status: number; attempts: number }> {
  const delays = [1000, 4000]
  for (let attempt = 1; ; attempt++) {
    const status = await send().catch(() => 0)
    if (status === 200 || attempt > delays.length) return { status, attempts: attempt }
    await new Promise((resolve) => setTimeout(resolve, delays[attempt - 1]))
  }
}
