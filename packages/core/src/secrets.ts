import { SuperOfficeWebhookError } from './errors.js'
import { getHeader } from './headers.js'
import type { SuperOfficeSecretHint, SuperOfficeSecretResolver } from './options.js'
import {
  type RawBody,
  type SuperOfficeSecrets,
  usesNodeCrypto,
  verifySignature,
  verifySignatureSync,
} from './signature.js'
import type { SuperOfficeWebhookInput } from './types.js'

/** The secrets step: which secret(s) verify a request, and whether the signature matches. */
export interface SignatureStep {
  /** Whether requests must be signed (false only with `allowUnsigned` and no secret). */
  readonly signed: boolean
  /**
   * Resolver mode only: the tenant whose secret was chosen, for the tenant step to compare with
   * the parsed body's `ContextIdentifier`. `undefined` without a resolver.
   */
  readonly claimedTenant: ((input: SuperOfficeWebhookInput) => string | undefined) | undefined
  /**
   * The index of the secret that matched, `undefined` when unsigned; a {@link SuperOfficeWebhookError}
   * (401 or 500) when the request is refused. A promise only when a resolver or WebCrypto needs one.
   */
  verify(
    input: SuperOfficeWebhookInput,
  ): number | undefined | SuperOfficeWebhookError | Promise<number | undefined | SuperOfficeWebhookError>
}

const INVALID_MESSAGE = 'The X-SuperOffice-Signature header does not match the body.'

/**
 * The tenant step (resolver mode): the secret was chosen by the first top-level
 * `ContextIdentifier` in the bytes, read before parsing; `JSON.parse` keeps the last one and
 * decodes `\u` escapes in keys. Both must name the same tenant, or a customer who knows its own
 * secret could sign a body that is handled as another customer's. A mismatch is answered like a
 * wrong signature (401 `signature_invalid`), so it tells the sender nothing more.
 *
 * @example
 * ```ts
 * checkTenant('CustA', { ContextIdentifier: 'CustB' }) // SuperOfficeWebhookError('signature_invalid')
 * ```
 */
export function checkTenant(claimed: string | undefined, parsed: unknown): SuperOfficeWebhookError | undefined {
  const value =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as { ContextIdentifier?: unknown }).ContextIdentifier
      : undefined
  const tenant = typeof value === 'string' ? value : undefined
  // A present but non-string value can only be a forged or broken body: refused as well.
  if (tenant === claimed && (value === undefined || tenant !== undefined)) return undefined
  return new SuperOfficeWebhookError('signature_invalid', INVALID_MESSAGE)
}

/** Normalises the `secret` option: empty strings and empty lists mean "no secret". */
export function normaliseSecrets(secrets: SuperOfficeSecrets | undefined | null): SuperOfficeSecrets | undefined {
  if (secrets === undefined || secrets === null) return undefined
  if (typeof secrets === 'string') return secrets.length > 0 ? secrets : undefined
  if (!Array.isArray(secrets)) throw new TypeError('secret must be a string, an array of strings or a function.')
  const list = secrets.filter((s): s is string => typeof s === 'string' && s.length > 0)
  return list.length > 0 ? list : undefined
}

/**
 * Builds the secrets step from the options. An unknown tenant is verified against a throw-away
 * secret, so it costs the same HMAC and gets the same 401 as a wrong signature: nothing tells an
 * unauthenticated sender which tenants are configured.
 */
export function createSignatureStep(
  secret: SuperOfficeSecrets | SuperOfficeSecretResolver | undefined,
  allowUnsigned: boolean,
): SignatureStep {
  const resolver = typeof secret === 'function' ? secret : undefined
  const staticSecrets = resolver ? undefined : normaliseSecrets(secret as SuperOfficeSecrets | undefined)
  if (!resolver && !staticSecrets && !allowUnsigned) {
    throw new TypeError(
      'createSuperOfficeWebhooks: no secret. Pass { secret } (the secret set on the SuperOffice webhook), ' +
        'or { allowUnsigned: true } to accept unsigned requests on purpose.',
    )
  }
  const decoy = `unknown-tenant-${Math.random().toString(36).slice(2)}-${Date.now()}`

  const settle = (result: { valid: boolean; matched?: number }, known: boolean) =>
    known && result.valid ? result.matched : new SuperOfficeWebhookError('signature_invalid', INVALID_MESSAGE)
  const check = (rawBody: RawBody, signature: string, secrets: SuperOfficeSecrets, known: boolean) => {
    if (usesNodeCrypto) return settle(verifySignatureSync(rawBody, signature, secrets), known)
    return verifySignature(rawBody, signature, secrets).then((result) => settle(result, known))
  }

  // The tenant the resolver's hint reads from the bytes, kept for the tenant step after parsing so
  // the bytes are scanned once: one entry, keyed by the request itself (a WeakMap entry per request
  // cost about 3 µs an event, most of it in the collector). A request in between only costs a
  // second scan; the entry is dropped once the tenant step has read it.
  let lastInput: SuperOfficeWebhookInput | undefined
  let lastTenant: string | undefined
  const tenantOf = (input: SuperOfficeWebhookInput): string | undefined => {
    if (input !== lastInput) {
      lastTenant = readTopLevelString(input.rawBody, CONTEXT_IDENTIFIER)
      lastInput = input
    }
    return lastTenant
  }

  const fromResolver = async (input: SuperOfficeWebhookInput, signature: string) => {
    let resolved: SuperOfficeSecrets | undefined
    try {
      resolved = normaliseSecrets(await (resolver as SuperOfficeSecretResolver)(secretHint(input, tenantOf)))
    } catch (error) {
      return new SuperOfficeWebhookError('secret_unavailable', 'The secret for this request could not be loaded.', {
        cause: error,
      })
    }
    return check(input.rawBody, signature, resolved ?? decoy, resolved !== undefined)
  }

  return {
    signed: resolver !== undefined || staticSecrets !== undefined,
    // The resolver usually read the tenant already: the bytes are scanned once, not twice.
    claimedTenant: resolver
      ? (input) => {
          const tenant = tenantOf(input)
          lastInput = undefined
          lastTenant = undefined
          return tenant
        }
      : undefined,
    verify(input) {
      if (!resolver && !staticSecrets) return undefined
      const header = getHeader(input.headers, 'x-superoffice-signature')
      if (!header) {
        return new SuperOfficeWebhookError('signature_missing', 'The X-SuperOffice-Signature header is missing.')
      }
      // Trimmed only when needed: most headers arrive exactly 44 characters long.
      const signature = header.length === 44 ? header : header.trim()
      if (staticSecrets) return check(input.rawBody, signature, staticSecrets, true)
      return fromResolver(input, signature)
    },
  }
}

/** The resolver's hint. `tenant` is read from the raw bytes on first access only. */
function secretHint(
  input: SuperOfficeWebhookInput,
  tenantOf: (input: SuperOfficeWebhookInput) => string | undefined,
): SuperOfficeSecretHint {
  return {
    get tenant() {
      return tenantOf(input)
    },
    url: input.url,
    header: (name) => getHeader(input.headers, name),
    request: input.request,
  }
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const CONTEXT_IDENTIFIER = encoder.encode('"ContextIdentifier"')
const QUOTE = 0x22
const BACKSLASH = 0x5c

/**
 * The string value of a top-level key of a JSON object, found by one pass over the bytes that
 * tracks only nesting depth and string boundaries: no parse, no allocation but the value. Linear
 * in the body size and stops at the key, which SuperOffice sends near the start. Malformed input
 * gives `undefined` (the signature check then refuses it).
 *
 * @example
 * ```ts
 * readTopLevelString('{"ContextIdentifier":"Cust1"}', encoder.encode('"ContextIdentifier"')) // 'Cust1'
 * ```
 */
export function readTopLevelString(rawBody: RawBody, quotedKey: Uint8Array): string | undefined {
  const bytes = typeof rawBody === 'string' ? encoder.encode(rawBody) : rawBody
  // A native search first: a body without the key at all (a flood of junk) costs no byte loop.
  if (hasBuffer && toBuffer(bytes).indexOf(quotedKey) === -1) return undefined
  const n = bytes.length
  let depth = 0
  let i = 0
  while (i < n) {
    const c = bytes[i] as number
    if (c === QUOTE) {
      const start = i
      i = skipString(bytes, i + 1)
      if (i < 0) return undefined
      if (depth === 1 && i - start === quotedKey.length && sameBytes(bytes, start, quotedKey)) {
        let j = skipSpace(bytes, i)
        if (bytes[j] !== 0x3a) continue
        j = skipSpace(bytes, j + 1)
        if (bytes[j] !== QUOTE) return undefined
        const end = skipString(bytes, j + 1)
        if (end < 0) return undefined
        const ascii = plainAscii(bytes, j + 1, end - 1)
        if (ascii !== undefined) return ascii
        try {
          const value: unknown = JSON.parse(decoder.decode(bytes.subarray(j, end)))
          return typeof value === 'string' ? value : undefined
        } catch {
          return undefined
        }
      }
      continue
    }
    if (c === 0x7b || c === 0x5b) depth++
    else if (c === 0x7d || c === 0x5d) depth--
    i++
  }
  return undefined
}

const hasBuffer = typeof Buffer === 'function'
const toBuffer = (bytes: Uint8Array) =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

/** Index just past the closing quote of a string whose content starts at `i`, or -1. */
function skipString(bytes: Uint8Array, i: number): number {
  // A plain loop: strings here are short, and Buffer#indexOf costs more per call than it saves.
  const n = bytes.length
  while (i < n) {
    const c = bytes[i]
    if (c === QUOTE) return i + 1
    i += c === BACKSLASH ? 2 : 1
  }
  return -1
}

/** The bytes as a string when they are printable ASCII without escapes (a tenant id always is). */
function plainAscii(bytes: Uint8Array, from: number, to: number): string | undefined {
  if (to - from > 256) return undefined
  let out = ''
  for (let k = from; k < to; k++) {
    const c = bytes[k] as number
    if (c < 0x20 || c > 0x7e || c === BACKSLASH) return undefined
    out += String.fromCharCode(c)
  }
  return out
}

function skipSpace(bytes: Uint8Array, i: number): number {
  while (i < bytes.length) {
    const c = bytes[i]
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break
    i++
  }
  return i
}

function sameBytes(bytes: Uint8Array, at: number, expected: Uint8Array): boolean {
  for (let k = 0; k < expected.length; k++) if (bytes[at + k] !== expected[k]) return false
  return true
}
