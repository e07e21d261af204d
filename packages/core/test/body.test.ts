import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { readRawBody, readRequestBody, readWebBody } from '../src/adapter.js'

describe('readRawBody', () => {
  it('reads an async iterable that is not a Node stream', async () => {
    const source = (async function* () {
      yield new TextEncoder().encode('{"a":')
      yield '1}'
    })()
    expect(Buffer.from(await readRawBody(source, { limit: 100 })).toString()).toBe('{"a":1}')
  })

  it('rejects when the stream closes before its end', async () => {
    const source = new Readable({ read() {} })
    const reading = readRawBody(source, { limit: 100 })
    source.push('{"a":')
    source.destroy()
    await expect(reading).rejects.toThrow(/closed before its body was complete/)
  })

  it('joins chunks into the exact bytes', async () => {
    const bytes = await readRawBody(Readable.from([Buffer.from('{"a":'), Buffer.from('1}')]), { limit: 100 })
    expect(Buffer.from(bytes).toString()).toBe('{"a":1}')
  })

  it('refuses a declared Content-Length over the limit before reading', async () => {
    let read = false
    const source = (async function* () {
      read = true
      yield Buffer.from('x')
    })()
    await expect(readRawBody(source, { limit: 10, headers: { 'content-length': '11' } })).rejects.toMatchObject({
      code: 'payload_too_large',
      status: 413,
    })
    expect(read).toBe(false)
  })

  it('stops at the limit on a stream without Content-Length', async () => {
    let produced = 0
    const source = Readable.from(
      (async function* () {
        for (let i = 0; i < 1000; i++) {
          produced++
          yield Buffer.alloc(1024)
          await new Promise((resolve) => setImmediate(resolve))
        }
      })(),
    )
    let producedAtRefusal = -1
    await expect(
      readRawBody(source, { limit: 4096 }).catch((error) => {
        producedAtRefusal = produced
        throw error
      }),
    ).rejects.toMatchObject({ status: 413 })
    // The rest is read and thrown away before the refusal (so the client, still uploading, reads
    // the 413 instead of a reset), never kept.
    expect(producedAtRefusal).toBe(1000)
  })

  it('a stream past the limit and 64 MiB more is cut off: refused there, not read to its end', async () => {
    let produced = 0
    const source = Readable.from(
      (async function* () {
        for (let i = 0; i < 100; i++) {
          produced++
          yield Buffer.alloc(1024 * 1024)
        }
      })(),
    )
    let producedAtRefusal = -1
    await expect(
      readRawBody(source, { limit: 1024 * 1024 }).catch((error) => {
        producedAtRefusal = produced
        throw error
      }),
    ).rejects.toMatchObject({ status: 413 })
    expect(producedAtRefusal).toBeGreaterThanOrEqual(65)
    expect(producedAtRefusal).toBeLessThan(70)
  })
})

describe('readRequestBody', () => {
  it('reads a streamed body within the limit and refuses past it', async () => {
    const ok = new Request('http://x/', { method: 'POST', body: 'hello' })
    expect(new TextDecoder().decode(await readRequestBody(ok, 10))).toBe('hello')
    const stream = new ReadableStream({
      pull(controller) {
        controller.enqueue(new Uint8Array(100))
      },
    })
    const big = new Request('http://x/', { method: 'POST', body: stream, duplex: 'half' } as RequestInit)
    await expect(readRequestBody(big, 1000)).rejects.toMatchObject({ status: 413 })
  })
})

describe('a refused web body is read to its end, within a bound (the connection stays usable)', () => {
  /** A stream of `chunks` chunks of 64 KiB that counts what was read from it. */
  const counted = (chunks: number) => {
    const seen = { pulled: 0, cancelled: false }
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (seen.pulled === chunks) return controller.close()
        seen.pulled++
        controller.enqueue(new Uint8Array(64 * 1024))
      },
      cancel() {
        seen.cancelled = true
      },
    })
    return { stream, seen }
  }

  it('over the limit mid-stream: 413 after the rest is read and thrown away', async () => {
    const { stream, seen } = counted(32) // 2 MiB, limit 1 MiB
    await expect(readWebBody(stream, undefined, 1024 * 1024)).rejects.toMatchObject({ status: 413 })
    expect(seen).toEqual({ pulled: 32, cancelled: false })
  })

  it('a Content-Length over the limit: 413, the body still read to its end', async () => {
    const { stream, seen } = counted(24)
    const headers = { 'content-length': String(24 * 64 * 1024) }
    await expect(readWebBody(stream, headers, 1024 * 1024)).rejects.toMatchObject({ status: 413 })
    expect(seen.pulled).toBe(24)
  })

  it('far beyond the bound: cut off, not read (a declared 128 MiB, or a stream that never ends)', async () => {
    const declared = counted(1024)
    const headers = { 'content-length': String(128 * 1024 * 1024) }
    await expect(readWebBody(declared.stream, headers, 1024 * 1024)).rejects.toMatchObject({ status: 413 })
    expect(declared.seen.cancelled).toBe(true)
    expect(declared.seen.pulled).toBeLessThanOrEqual(1) // a stream may pull one chunk ahead
    const endless = counted(Number.POSITIVE_INFINITY)
    await expect(readWebBody(endless.stream, undefined, 1024 * 1024)).rejects.toMatchObject({ status: 413 })
    expect(endless.seen.cancelled).toBe(true)
    // The limit plus 64 MiB, and not much more.
    expect(endless.seen.pulled * 64 * 1024).toBeLessThan(65 * 1024 * 1024 + 4 * 64 * 1024)
  })
})
