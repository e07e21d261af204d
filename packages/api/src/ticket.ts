import { createSign, type KeyObject } from 'node:crypto'
import { createRemoteJWKSet, customFetch, errors, type JWTPayload, jwtVerify } from 'jose'
import type { ResolvedEnvironment } from './environment.js'
import { exchange, jsonOf, type Limits, messageOf, type Redactor, SuperOfficeApiError } from './http.js'

/** The claim of SuperOffice's JWT that holds the system-user ticket. */
export const TICKET_CLAIM = 'http://schemes.superoffice.net/identity/ticket'
/** The claim of SuperOffice's JWTs that names the tenant. */
export const TENANT_CLAIM = 'http://schemes.superoffice.net/identity/ctx'

/** `yyyyMMddHHmm` in UTC, as SuperOffice's signed token wants it. */
export function utcStamp(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}`
}

/**
 * SuperOffice's SignedSystemToken: `token.yyyyMMddHHmm.` followed by the base64 RSA-SHA256
 * signature of the first two parts, made with the app's private key.
 *
 * @example
 * ```ts
 * const signed = signSystemUserToken('MyApp-Xk3LP9t2', loadSuperOfficePrivateKey(pem))
 * ```
 */
export function signSystemUserToken(systemUserToken: string, privateKey: KeyObject, now: Date = new Date()): string {
  const data = `${systemUserToken}.${utcStamp(now)}`
  const signature = createSign('sha256').update(data, 'utf8').sign(privateKey, 'base64')
  return `${data}.${signature}`
}

/** The largest key set read: SuperOffice's has a few keys, a few KiB. */
export const MAX_JWKS_BYTES = 256 * 1024

/**
 * Thrown by the verifier when SuperOffice's key set could not be read (down, too slow, too large,
 * not a key set): the token may well be genuine, so callers answer "try again" rather than
 * "refused".
 */
export class KeySetUnavailableError extends Error {
  override readonly name = 'KeySetUnavailableError'
}

/** One environment's JWT verifier: keys from its JWKS (fetched on demand, cached, refetched for an unknown key id). */
export function createJwtVerifier(environment: ResolvedEnvironment, limits: Limits) {
  // The key set is read through the client's own exchange: same-origin redirects only, the time
  // bound covering the whole body, and the body bounded (an endless answer is cut off).
  const keySetLimits: Limits = {
    ...limits,
    timeoutMs: Math.min(limits.timeoutMs, 10_000),
    maxResponseBytes: Math.min(limits.maxResponseBytes, MAX_JWKS_BYTES),
  }
  const jwks = createRemoteJWKSet(new URL(environment.jwksUrl), {
    timeoutDuration: keySetLimits.timeoutMs,
    cooldownDuration: 30_000,
    [customFetch]: async (url: string, init: RequestInit) => {
      const { signal: _signal, ...rest } = init
      const answer = await exchange(keySetLimits, 'GET /login/.well-known/jwks', url, rest)
      return new Response(answer.text, { status: answer.status, headers: answer.headers })
    },
  })
  /**
   * Verifies a SuperOffice JWT: RS256, signed by a key of the environment's JWKS, issued by the
   * environment, not expired (with 60 s of clock skew). Throws a plain Error saying why.
   */
  return async (token: string, options: { requireExpiry?: boolean } = {}): Promise<JWTPayload> => {
    try {
      const { payload } = await jwtVerify(token, jwks, {
        algorithms: ['RS256'],
        issuer: environment.issuers,
        clockTolerance: 60,
        ...(options.requireExpiry ? { requiredClaims: ['exp'] } : {}),
      })
      return payload
    } catch (error) {
      if (keySetUnavailable(error)) {
        const detail = error instanceof errors.JWKSTimeout ? 'no answer in time' : (error as Error).message
        throw new KeySetUnavailableError(`SuperOffice's key set could not be read (${detail})`, { cause: error })
      }
      throw new Error(jwtReason(error))
    }
  }
}

/** Whether verification failed because the key set could not be had, not because of the token. */
function keySetUnavailable(error: unknown): boolean {
  if (error instanceof SuperOfficeApiError) return true // not reachable, too slow, too large
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return true
  // jose's "Expected 200 OK from the JSON Web Key Set HTTP response" and a body that is not JSON.
  if (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC') return true
  return error instanceof SyntaxError
}

function jwtReason(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired'
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token is not signed by a SuperOffice key'
  if (error instanceof errors.JWKSNoMatchingKey) return "the token's key is not among SuperOffice's published keys"
  if (error instanceof errors.JWTClaimValidationFailed)
    return `the token's ${error.claim} claim is not acceptable (${error.reason})`
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token is not signed with RS256'
  if (error instanceof errors.JWKSTimeout) return "SuperOffice's key set did not answer in time"
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid)
    return 'the token is not a well-formed JWT'
  return `the token could not be verified (${(error as Error)?.message ?? String(error)})`
}

/** A ticket and when to stop using it. */
export interface Ticket {
  ticket: string
  /** Epoch ms after which a new ticket is fetched. */
  renewAt: number
}

/**
 * Exchanges a system-user token for a ticket: sign, post to `Authenticate`, verify the JWT in the
 * answer (and that it is for this tenant), take the ticket claim.
 */
export async function fetchTicket(args: {
  environment: ResolvedEnvironment
  limits: Limits
  redactor: Redactor
  verify: ReturnType<typeof createJwtVerifier>
  tenant: string
  applicationToken: string
  privateKey: KeyObject
  systemUserToken: string
}): Promise<Ticket> {
  const { environment, limits, redactor, verify, tenant } = args
  const label = 'POST /Login/api/PartnerSystemUser/Authenticate'
  redactor.remember(args.systemUserToken)
  const answer = await exchange(limits, label, environment.authenticateUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json; charset=utf-8', Accept: 'application/json' },
    body: JSON.stringify({
      SignedSystemToken: signSystemUserToken(args.systemUserToken, args.privateKey),
      ApplicationToken: args.applicationToken,
      ContextIdentifier: tenant,
      ReturnTokenType: 'JWT',
    }),
  })
  if (answer.status !== 200) {
    throw new SuperOfficeApiError(answer.status, label, redactor.redact(messageOf(answer.text)))
  }
  const body = jsonOf(answer, label) as { IsSuccessful?: unknown; Token?: unknown; ErrorMessage?: unknown } | null
  if (body?.IsSuccessful !== true || typeof body.Token !== 'string') {
    const why =
      typeof body?.ErrorMessage === 'string' && body.ErrorMessage ? body.ErrorMessage : 'IsSuccessful is not true'
    throw new SuperOfficeApiError(answer.status, label, `SuperOffice refused the system user: ${redactor.redact(why)}`)
  }
  let payload: JWTPayload
  try {
    payload = await verify(body.Token)
  } catch (error) {
    throw new SuperOfficeApiError(answer.status, label, `the answer's JWT was refused: ${(error as Error).message}`)
  }
  const claimedTenant = payload[TENANT_CLAIM]
  if (claimedTenant !== undefined && claimedTenant !== tenant) {
    throw new SuperOfficeApiError(
      answer.status,
      label,
      `the answer's JWT is for another tenant (${String(claimedTenant)})`,
    )
  }
  const ticket = payload[TICKET_CLAIM]
  if (typeof ticket !== 'string' || ticket === '') {
    throw new SuperOfficeApiError(answer.status, label, `the answer's JWT has no ticket claim (${TICKET_CLAIM})`)
  }
  redactor.remember(ticket)
  redactor.remember(body.Token)
  const now = Date.now()
  // Renewed a while before the JWT's expiry; without one, after 50 minutes (tickets last longer).
  const expires = typeof payload.exp === 'number' ? payload.exp * 1000 : now + 60 * 60_000
  const renewAt = Math.max(now + 5_000, expires - Math.min(10 * 60_000, (expires - now) / 5))
  return { ticket, renewAt }
}
