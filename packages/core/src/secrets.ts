import { SuperOfficeWebhookError } from './errors.js'
import { getHeader } from './headers.js'
import { readTopLevelString } from './json-scan.js'
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

const CONTEXT_IDENTIFIER = new TextEncoder().encode('"ContextIdentifier"')
