import { type Agent, request as httpRequest } from 'node:http'

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
