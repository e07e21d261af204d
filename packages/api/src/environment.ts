/**
 * Where a SuperOffice app runs: `'sod'` (development), `'stage'`, `'online'` (production), or an
 * explicit authority: the origin that serves the state API (`/api/state/…`), the system-user
 * `Authenticate` call and the JWKS (`/login/.well-known/jwks`), such as a local stand-in in tests.
 *
 * @example
 * ```ts
 * const production: SuperOfficeEnvironment = 'online'
 * const standIn: SuperOfficeEnvironment = { authority: 'http://127.0.0.1:4010' }
 * ```
 */
export type SuperOfficeEnvironment = 'sod' | 'stage' | 'online' | SuperOfficeAuthority

/**
 * An explicit SuperOffice authority (see {@link SuperOfficeEnvironment}).
 *
 * @example
 * ```ts
 * const authority: SuperOfficeAuthority = { authority: 'http://127.0.0.1:4010' }
 * ```
 */
export interface SuperOfficeAuthority {
  /** The origin of SuperOffice's authentication host (`https://sod.superoffice.com`, or a stand-in). */
  authority: string
  /**
   * The issuers accepted on SuperOffice's JWTs. Default: the authority itself and `SuperOffice AS`
   * (SuperOffice's docs name both, for OpenID tokens and system-user tokens).
   */
  issuers?: string[]
}

/** The URLs and rules of one environment, resolved once. */
export interface ResolvedEnvironment {
  /** `sod`, `stage`, `online`, or `custom`. */
  name: string
  authority: string
  issuers: string[]
  jwksUrl: string
  authenticateUrl: string
  stateUrl(tenant: string): string
  /** Whether a tenant endpoint the state API names may be used: only SuperOffice's hosts for the named environments. */
  endpointAllowed(url: URL): boolean
}

// SuperOffice's documented subdomains per environment (stage is `qaonline`).
const SUBDOMAIN = { sod: 'sod', stage: 'qaonline', online: 'online' } as const

/**
 * A tenant identifier goes into URL paths, so it is checked before any request: SuperOffice's are
 * `Cust12345`-like; anything with a slash, a dot or a percent sign could walk the path.
 */
const TENANT = /^[A-Za-z0-9_-]{1,64}$/

/** Throws a TypeError for a tenant identifier that is not plain letters, digits, `_` or `-`. */
export function assertTenant(tenant: unknown): asserts tenant is string {
  if (typeof tenant !== 'string' || !TENANT.test(tenant)) {
    throw new TypeError(
      `'${String(tenant).slice(0, 80)}' is not a SuperOffice tenant identifier (a ContextIdentifier such as Cust12345).`,
    )
  }
}

/** The URLs of an environment, or a clear error for an unknown one. */
export function resolveEnvironment(environment: SuperOfficeEnvironment | undefined): ResolvedEnvironment {
  if (typeof environment === 'string') {
    const sub = SUBDOMAIN[environment as keyof typeof SUBDOMAIN]
    if (!sub) {
      throw new TypeError(
        `Unknown SuperOffice environment '${environment}': use 'sod', 'stage', 'online' or { authority }.`,
      )
    }
    const authority = `https://${sub}.superoffice.com`
    return build(environment, authority, [authority, 'SuperOffice AS'], (url) => {
      // Numbered hosts of the same environment (sod2, online3…) and the other documented API hosts.
      return url.protocol === 'https:' && url.hostname.endsWith('.superoffice.com')
    })
  }
  if (!environment || typeof environment.authority !== 'string') {
    throw new TypeError(
      "createSuperOfficeApi needs environment: 'sod', 'stage', 'online' or { authority: 'https://…' }.",
    )
  }
  let origin: string
  try {
    origin = new URL(environment.authority).origin
  } catch {
    throw new TypeError(`environment.authority '${environment.authority}' is not a URL.`)
  }
  const secure = origin.startsWith('https:')
  // A custom authority (a stand-in, a proxy) may name endpoints on other hosts, but an http
  // authority never sends credentials over https's downgrade: endpoints keep its scheme or better.
  return build('custom', origin, environment.issuers ?? [origin, 'SuperOffice AS'], (url) =>
    secure ? url.protocol === 'https:' : url.protocol === 'https:' || url.protocol === 'http:',
  )
}

function build(
  name: string,
  authority: string,
  issuers: string[],
  endpointAllowed: (url: URL) => boolean,
): ResolvedEnvironment {
  return {
    name,
    authority,
    issuers,
    jwksUrl: `${authority}/login/.well-known/jwks`,
    authenticateUrl: `${authority}/Login/api/PartnerSystemUser/Authenticate`,
    stateUrl: (tenant) => `${authority}/api/state/${encodeURIComponent(tenant)}`,
    endpointAllowed,
  }
}
