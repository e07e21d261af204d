import { signatureVectors } from '@superoffice-webhooks/fixtures'
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import {
  signPayload,
  signPayloadAsync,
  usesNodeCrypto,
  verifySignature,
  verifySignatureSync,
  verifySignatureWebCrypto,
} from '../src/index.js'

describe('signature vectors from SuperOffice (packages/fixtures)', () => {
  it('has at least one vector', () => {
    expect(signatureVectors().length).toBeGreaterThan(0)
  })
  for (const vector of signatureVectors()) {
    it(`${vector.name}: signs and verifies on node:crypto and WebCrypto`, async () => {
      expect(signPayload(vector.body, vector.secret)).toBe(vector.signature)
      expect(signPayload(Buffer.from(vector.body, 'utf8'), vector.secret)).toBe(vector.signature)
      expect(await signPayloadAsync(vector.body, vector.secret)).toBe(vector.signature)
      expect(await verifySignature(vector.body, vector.signature, vector.secret)).toEqual({ valid: true, matched: 0 })
      expect(
        await verifySignatureWebCrypto(new TextEncoder().encode(vector.body), vector.signature, vector.secret),
      ).toEqual({
        valid: true,
        matched: 0,
      })
    })
    it(`${vector.name}: re-serialised JSON does not verify`, async () => {
      const reserialised = JSON.stringify(JSON.parse(vector.body), null, 2)
      expect((await verifySignature(reserialised, vector.signature, vector.secret)).valid).toBe(false)
    })
  }
})

describe('verifySignature', () => {
  const body = '{"EventId":"a","Event":"sale.sold"}'
  const secret = 'current secret'

  it('uses node:crypto on Node', () => {
    expect(usesNodeCrypto).toBe(true)
  })

  it('WebCrypto imports each secret once and reuses the key (edge runtimes pay importKey once, not per request)', async () => {
    const importKey = vi.spyOn(globalThis.crypto.subtle, 'importKey')
    try {
      const fresh = `fresh secret ${Math.random()}`
      const signature = signPayload(body, fresh)
      for (let i = 0; i < 5; i++) expect((await verifySignatureWebCrypto(body, signature, fresh)).valid).toBe(true)
      expect(await verifySignatureWebCrypto(`${body} `, signature, fresh)).toEqual({ valid: false })
      expect(importKey).toHaveBeenCalledTimes(1)
      // A rotation's second secret is one more import, then reused too.
      const next = `${fresh} next`
      for (let i = 0; i < 3; i++) await verifySignatureWebCrypto(body, signature, [next, fresh])
      expect(importKey).toHaveBeenCalledTimes(2)
    } finally {
      importKey.mockRestore()
    }
  })

  it('a full key cache lets the oldest key go, not every key: 1,000 tenants in rotation stay imported', async () => {
    const importKey = vi.spyOn(globalThis.crypto.subtle, 'importKey')
    try {
      const secrets = Array.from({ length: 1001 }, (_, i) => `tenant secret ${i} ${Math.random()}`)
      for (const secret of secrets) await verifySignatureWebCrypto(body, signPayload(body, secret), secret)
      expect(importKey).toHaveBeenCalledTimes(1001)
      // The newest 999 are still there (clearing the whole cache at 1,000 re-imported every one).
      for (const secret of secrets.slice(2)) await verifySignatureWebCrypto(body, signPayload(body, secret), secret)
      expect(importKey).toHaveBeenCalledTimes(1001)
      // The oldest went: it is imported again.
      await verifySignatureWebCrypto(body, signPayload(body, secrets[0] as string), secrets[0] as string)
      expect(importKey).toHaveBeenCalledTimes(1002)
    } finally {
      importKey.mockRestore()
    }
  })

  it('tells which secret matched during a rotation', async () => {
    const signature = signPayload(body, 'old secret')
    expect(await verifySignature(body, signature, [secret, 'old secret'])).toEqual({ valid: true, matched: 1 })
    expect(await verifySignatureWebCrypto(body, signature, [secret, 'old secret'])).toEqual({ valid: true, matched: 1 })
    expect(verifySignatureSync(body, signature, [secret])).toEqual({ valid: false })
  })

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['hex instead of base64', 'a'.repeat(64)],
    ['prefixed', `sha256=${signPayload(body, secret)}`],
    ['unpadded', signPayload(body, secret).slice(0, 43)],
  ])('refuses a %s signature without throwing', async (_label, signature) => {
    expect(await verifySignature(body, signature, secret)).toEqual({ valid: false })
    expect(await verifySignatureWebCrypto(body, signature, secret)).toEqual({ valid: false })
  })

  it('refuses an empty secret list entry instead of matching it', async () => {
    expect(await verifySignature(body, signPayload(body, secret), ['', secret])).toEqual({ valid: true, matched: 1 })
  })

  it('signPayload refuses an empty secret', () => {
    expect(() => signPayload(body, '')).toThrow(/non-empty string/)
  })

  it('property: changing any one byte of the body invalidates the signature', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 512 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (bytes, at, delta) => {
          const signature = signPayload(bytes, secret)
          const tampered = Uint8Array.from(bytes)
          const i = at % tampered.length
          tampered[i] = ((tampered[i] as number) + delta) % 256
          expect((await verifySignature(tampered, signature, secret)).valid).toBe(false)
          expect((await verifySignature(bytes, signature, secret)).valid).toBe(true)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('property: changing any one character of the signature invalidates it', async () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/='
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 200 }),
        fc.nat(43),
        fc.nat(alphabet.length - 1),
        async (text, at, pick) => {
          const signature = signPayload(text, secret)
          const replacement = alphabet[pick] as string
          fc.pre(signature[at] !== replacement)
          const tampered = signature.slice(0, at) + replacement + signature.slice(at + 1)
          expect((await verifySignature(text, tampered, secret)).valid).toBe(false)
          expect((await verifySignatureWebCrypto(text, tampered, secret)).valid).toBe(false)
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('fails closed on an empty secret', () => {
  it('never matches a signature made with an empty key', async () => {
    const { createHmac } = await import('node:crypto')
    const body = '{"Event":"sale.sold"}'
    const emptyKeySignature = createHmac('sha256', '').update(body).digest('base64')
    expect(verifySignatureSync(body, emptyKeySignature, '')).toEqual({ valid: false })
    expect(await verifySignatureWebCrypto(body, emptyKeySignature, [''])).toEqual({ valid: false })
  })
})
