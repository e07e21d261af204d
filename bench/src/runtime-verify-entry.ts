// Bundled into one file and run on each runtime by runtimes.ts: the signature check of the
// typical 1.3 KB body, in a loop, on the runtime's default path (node:crypto where it has one) and
// on WebCrypto. No Node import: it runs on workerd too.
import { usesNodeCrypto, verifySignature, verifySignatureWebCrypto } from '@superoffice-webhooks/core'

export interface VerifyLoop {
  body: string
  signature: string
  secret: string
  iterations: number
}

/** Runs `iterations` checks on both paths; every one must be valid. */
export async function verifyLoop(input: VerifyLoop, path: 'default' | 'webcrypto'): Promise<void> {
  const check = path === 'webcrypto' ? verifySignatureWebCrypto : verifySignature
  for (let i = 0; i < input.iterations; i++) {
    if (!(await check(input.body, input.signature, input.secret)).valid) throw new Error('a check failed')
  }
}

export const defaultPath = usesNodeCrypto ? 'node:crypto' : 'WebCrypto'

/** Bun and Deno: times the loops itself (after a warm-up) and prints one JSON line. */
export async function timeBoth(input: VerifyLoop): Promise<string> {
  const result: Record<string, number | string> = { defaultPath }
  for (const path of ['default', 'webcrypto'] as const) {
    await verifyLoop({ ...input, iterations: Math.min(2000, input.iterations) }, path)
    const start = performance.now()
    await verifyLoop(input, path)
    result[path] = ((performance.now() - start) * 1000) / input.iterations
  }
  return JSON.stringify(result)
}

/**
 * workerd: its clocks stand still while a request computes, so the loop is timed from outside,
 * one request per loop (`POST /default` or `/webcrypto` with the input as JSON).
 */
export default {
  async fetch(request: Request): Promise<Response> {
    const input = (await request.json()) as VerifyLoop
    await verifyLoop(input, new URL(request.url).pathname === '/webcrypto' ? 'webcrypto' : 'default')
    return Response.json({ defaultPath })
  },
}
