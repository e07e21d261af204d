import type * as NodeCrypto from 'node:crypto'
import type { webcrypto } from 'node:crypto'

/** Raw request body: the bytes as received (a Buffer is a Uint8Array) or their UTF-8 text. */
export type RawBody = Uint8Array | string

/** One secret, or several during a rotation (the first one that matches wins). */
export type SuperOfficeSecrets = string | readonly string[]

/** What {@link verifySignature} found. `matched` is the index of the secret that matched. */
export interface SignatureVerification {
  valid: boolean
  matched?: number
}

type NodeCryptoModule = typeof NodeCrypto

// process.getBuiltinModule (Node >= 20.16, Deno, Bun) gives node:crypto synchronously without a
// static import, so the same build runs on edge runtimes, where WebCrypto takes over.
const nodeCrypto: NodeCryptoModule | undefined = (() => {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  try {
    return proc?.getBuiltinModule?.('node:crypto') as NodeCryptoModule | undefined
  } catch {
    return undefined
  }
})()

const encoder = new TextEncoder()

// Importing the key is part of every HMAC; a KeyObject per secret skips it. Bounded, since a
// multi-tenant resolver may hand many secrets over the life of the process.
const keyObjects = new Map<string, NodeCrypto.KeyObject>()
function keyFor(secret: string): NodeCrypto.KeyObject | string {
  if (!nodeCrypto) return secret
  let key = keyObjects.get(secret)
  if (!key) {
    // Full: the oldest key goes, not all of them (1,000 tenants in rotation stay cached).
    if (keyObjects.size >= 1000) keyObjects.delete(keyObjects.keys().next().value as string)
    key = nodeCrypto.createSecretKey(Buffer.from(secret, 'utf8'))
    keyObjects.set(secret, key)
  }
  return key
}

function hmacBase64(rawBody: RawBody, secret: string): string {
  return (nodeCrypto as NodeCryptoModule).createHmac('sha256', keyFor(secret)).update(rawBody).digest('base64')
}

/** A signature is 32 bytes in standard base64 with padding: exactly 44 characters. */
const signaturePattern = /^[A-Za-z0-9+/]{43}=$/

/**
 * Signs a body the way SuperOffice does: base64 of HMAC-SHA256 keyed with the UTF-8 secret over
 * the exact bytes. Synchronous, on node:crypto (Node, Deno, Bun); on runtimes without it use
 * {@link signPayloadAsync}.
 *
 * @example
 * ```ts
 * import { signPayload } from '@superoffice-webhooks/core'
 *
 * const body = JSON.stringify(event)
 * await fetch(url, { method: 'POST', body, headers: { 'X-SuperOffice-Signature': signPayload(body, secret) } })
 * ```
 */
export function signPayload(rawBody: RawBody, secret: string): string {
  assertSecret(secret)
  if (!nodeCrypto) {
    throw new Error('signPayload needs node:crypto; on this runtime use signPayloadAsync instead.')
  }
  return hmacBase64(rawBody, secret)
}

/**
 * {@link signPayload} for any runtime: node:crypto where it exists, WebCrypto elsewhere.
 *
 * @example
 * ```ts
 * const signature = await signPayloadAsync(body, secret)
 * ```
 */
export async function signPayloadAsync(rawBody: RawBody, secret: string): Promise<string> {
  if (nodeCrypto) return signPayload(rawBody, secret)
  assertSecret(secret)
  return webSign(rawBody, secret)
}

/**
 * Checks an `X-SuperOffice-Signature` against the raw body with one or several secrets, in
 * constant time. Never throws for a bad signature: it answers `{ valid: false }`.
 *
 * @example
 * ```ts
 * import { verifySignature } from '@superoffice-webhooks/core'
 *
 * const { valid, matched } = await verifySignature(rawBody, req.headers['x-superoffice-signature'], [
 *   process.env.SUPEROFFICE_SECRET_NEW!,
 *   process.env.SUPEROFFICE_SECRET_OLD!,
 * ])
 * if (valid && matched === 1) console.warn('signed with the old secret: finish the rotation')
 * ```
 */
export async function verifySignature(
  rawBody: RawBody,
  signature: string | null | undefined,
  secrets: SuperOfficeSecrets,
): Promise<SignatureVerification> {
  if (nodeCrypto) return verifySignatureSync(rawBody, signature, secrets)
  return verifySignatureWebCrypto(rawBody, signature, secrets)
}

/**
 * {@link verifySignature} without a promise, on node:crypto. Used on the hot path when it exists.
 *
 * @example
 * ```ts
 * verifySignatureSync(body, signature, secret).valid // boolean
 * ```
 */
export function verifySignatureSync(
  rawBody: RawBody,
  signature: string | null | undefined,
  secrets: SuperOfficeSecrets,
): SignatureVerification {
  if (!nodeCrypto) throw new Error('verifySignatureSync needs node:crypto; use verifySignature instead.')
  // Comparing the exact base64 text, not decoded bytes: lenient base64 decoding would accept a
  // signature whose unused low bits were changed. The expected text is always 44 well-formed
  // characters, so anything else simply does not compare equal.
  if (typeof signature !== 'string' || signature.length !== 44) return { valid: false }
  if (typeof secrets === 'string') {
    if (!secrets) return { valid: false }
    return constantTimeEqual(hmacBase64(rawBody, secrets), signature) ? { valid: true, matched: 0 } : { valid: false }
  }
  for (let i = 0; i < secrets.length; i++) {
    const secret = secrets[i]
    if (!secret) continue
    if (constantTimeEqual(hmacBase64(rawBody, secret), signature)) return { valid: true, matched: i }
  }
  return { valid: false }
}

/** Whether node:crypto is in use (false on edge runtimes, where WebCrypto is). */
export const usesNodeCrypto: boolean = nodeCrypto !== undefined

// WebCrypto's importKey is asynchronous and costs about as much as the HMAC itself: each secret's
// CryptoKey is imported once and reused (bounded like the KeyObjects above). A failed import is
// not kept, so the next request tries again.
const cryptoKeys = new Map<string, Promise<webcrypto.CryptoKey>>()
function cryptoKeyFor(subtle: webcrypto.SubtleCrypto, secret: string): Promise<webcrypto.CryptoKey> {
  let key = cryptoKeys.get(secret)
  if (!key) {
    if (cryptoKeys.size >= 1000) cryptoKeys.delete(cryptoKeys.keys().next().value as string)
    key = subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    key.catch(() => cryptoKeys.delete(secret))
    cryptoKeys.set(secret, key)
  }
  return key
}

async function webSign(rawBody: RawBody, secret: string): Promise<string> {
  const subtle = globalThis.crypto?.subtle
  if (!subtle) throw new Error('No HMAC implementation: neither node:crypto nor WebCrypto is available.')
  const key = await cryptoKeyFor(subtle, secret)
  const data = typeof rawBody === 'string' ? encoder.encode(rawBody) : rawBody
  const mac = new Uint8Array(await subtle.sign('HMAC', key, data as Uint8Array<ArrayBuffer>))
  let binary = ''
  for (const byte of mac) binary += String.fromCharCode(byte)
  return btoa(binary)
}

/**
 * Constant-time compare of two base64 strings: every character is visited whatever differs, so
 * the time says nothing about where a forged signature goes wrong (only the length, which is
 * public: 44).
 */
function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

function assertSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new TypeError('A SuperOffice webhook secret must be a non-empty string.')
  }
}

/**
 * WebCrypto verification even where node:crypto exists: for benchmarks and tests of the edge path.
 *
 * @example
 * ```ts
 * await verifySignatureWebCrypto(body, signature, secret) // { valid: true, matched: 0 }
 * ```
 */
export async function verifySignatureWebCrypto(
  rawBody: RawBody,
  signature: string | null | undefined,
  secrets: SuperOfficeSecrets,
): Promise<SignatureVerification> {
  if (typeof signature !== 'string' || !signaturePattern.test(signature)) return { valid: false }
  const list = typeof secrets === 'string' ? [secrets] : secrets
  for (let i = 0; i < list.length; i++) {
    const secret = list[i]
    if (!secret) continue
    if (constantTimeEqual(await webSign(rawBody, secret), signature)) return { valid: true, matched: i }
  }
  return { valid: false }
}
