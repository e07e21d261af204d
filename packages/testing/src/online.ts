// A stand-in for SuperOffice CRM Online, written from SuperOffice's documentation pages
// (docs.superoffice.com: developer-portal/best-practices/tenant-status/check-status and
// get-notifications; api/authentication/online/auth-application/sign-system-user-token and
// get-system-user-ticket; api/authentication/online/validate-security-tokens; api/authentication/online/api).
// It serves, over real HTTP on loopback ports: the state API, the system-user Authenticate call
// (checking the RSA signature and the timestamp), the JWKS its JWTs are signed with, and the
// tenant API on two numbered "hosts" (the one a tenant is not on answers 421), with 401 for a
// missing or unknown credential and 429 when a tenant calls faster than its limit.
import { createPublicKey, createVerify, type KeyObject, randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { superOfficeTenantChangeTypes } from '@superoffice-webhooks/core'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'

const TICKET_CLAIM = 'http://schemes.superoffice.net/identity/ticket'
const TENANT_CLAIM = 'http://schemes.superoffice.net/identity/ctx'

/**
 * One tenant of the stand-in.
 *
 * @example
 * ```ts
 * const tenant: SuperOfficeOnlineTenant = { systemUserToken: 'MyApp-1a2b3c' }
 * ```
 */
export interface SuperOfficeOnlineTenant {
  /** The system user token the app must sign to get a ticket. Default `<tenant>-system-user`. */
  systemUserToken?: string
  /** An OAuth access token accepted as `Bearer` besides tickets. */
  accessToken?: string
  /** The state API's `State`. Default `Running`. */
  state?: string
}

/**
 * Options of {@link startSuperOfficeOnline}.
 *
 * @example
 * ```ts
 * const online = await startSuperOfficeOnline({ appPublicKey, tenants: { Cust12345: {} }, rateLimitPerSecond: 10 })
 * ```
 */
export interface SuperOfficeOnlineOptions {
  /** The app's public key (PEM or KeyObject): signed system user tokens are checked against it. */
  appPublicKey: string | KeyObject
  /** The application token (client secret) the app must send. Default `app-token`. */
  applicationToken?: string
  /** The app's id (client id): the audience of the tenant status notifications it signs. Default `stand-in-app`. */
  applicationId?: string
  /** The tenants, by ContextIdentifier. Default one: `Cust12345`. */
  tenants?: Record<string, SuperOfficeOnlineTenant>
  /** API calls per second per tenant before 429 (with `Retry-After: 1`). Default unlimited. */
  rateLimitPerSecond?: number
  /** How long each entity or list call takes to answer, in ms (so calls overlap, as real ones do). Default 0. */
  latencyMs?: number
  /** How long a ticket JWT is valid. Default 3600 s. */
  ticketTtlSeconds?: number
  /** How far a signed token's timestamp may be from now. Default 5 minutes. */
  maxTokenSkewMinutes?: number
  /** `ValidUntil` of state answers, from now. Default 1 h (so a move is found through 421). */
  stateValidForMs?: number
  /**
   * Tenant API calls the stand-in has no entity for (the Webhook API…) are forwarded here, after
   * the host, credential and throttling checks: a base URL per tenant, under which `/api/v1/…`
   * goes, and the headers (its own credential) to send there.
   */
  forward?: (tenant: string) => { baseUrl: string; headers?: Record<string, string> } | undefined
  /**
   * Entities not put explicitly exist with a minimal carrier (`{ SaleId: 12, … }`) unless deleted.
   * Default `true`.
   */
  autoEntities?: boolean
}

/**
 * How the stand-in signs a notification token: with the published key or a foreign one, expired,
 * for another tenant or another audience.
 *
 * @example
 * ```ts
 * await online.notification('Cust12345', 'Delete', { audience: 'another-app' })
 * ```
 */
export interface SuperOfficeOnlineTokenOptions {
  key?: 'published' | 'foreign'
  expired?: boolean
  /** The tenant claim. Default the notification's tenant. */
  tenant?: string
  /** The `aud` claim. Default the stand-in's `applicationId`. */
  audience?: string | string[]
}

/** One call the stand-in answered. */
export interface SuperOfficeOnlineCall {
  /** `authority`, `host0` or `host1`. */
  server: string
  method: string
  path: string
  status: number
  /** `SOTicket`, `Bearer` or undefined. */
  scheme: string | undefined
  /** Whether an `SO-AppToken` header came. */
  appToken: boolean
}

/**
 * The running stand-in.
 *
 * @example
 * ```ts
 * const api = createSuperOfficeApi({ environment: { authority: online.authority }, ... })
 * online.moveTenant('Cust12345') // the next call meets 421 on the old host
 * ```
 */
export interface SuperOfficeOnline {
  /** The authentication host: state API, Authenticate, JWKS (`environment: { authority }`). */
  authority: string
  /** The two tenant hosts (`http://127.0.0.1:…`). */
  hosts: [string, string]
  /** The application token it expects. */
  applicationToken: string
  /** The app id its notification tokens name as their audience. */
  applicationId: string
  /** Which host (0 or 1) a tenant is on. */
  hostOf(tenant: string): 0 | 1
  /** Moves a tenant to the other host; its old host answers 421 from now on. Returns the new host's origin. */
  moveTenant(tenant: string): string
  /** Sets a tenant's state (`Suspended`, `OfflineMaintenance`, `Running`…). */
  setState(tenant: string, state: string): void
  /**
   * Throttles one tenant as SuperOffice does under heavy load: its API calls answer 429 with
   * `Retry-After: seconds` until that time has passed (`0` lifts it).
   */
  throttleTenant(tenant: string, seconds: number): void
  /**
   * Stores a carrier: `put('Cust12345', 'Sale', 12, { SaleId: 12, Heading: 'Big deal' })`. The row
   * counts as updated now (or at `updatedAt`) in the resource's list (`GET /api/v1/Sale?$filter=…`),
   * which answers `{ value: [{ saleId, updatedDate, registeredDate }] }` with SuperOffice's OData
   * options: `$select`, `$filter` (`updatedDate afterTime '…'`, `beforeTime`, `saleId gt 12`, joined with `and`),
   * `$orderBy`, `$top` (default 50) and `$skip`.
   */
  put(
    tenant: string,
    resource: string,
    id: number | string,
    carrier: Record<string, unknown>,
    options?: { updatedAt?: Date },
  ): void
  /** Deletes a row: its GET answers 404. */
  remove(tenant: string, resource: string, id: number | string): void
  /** Every call answered, in order. */
  calls: SuperOfficeOnlineCall[]
  /** The most entity and list calls of a tenant that were in flight at once (what a shared throttle bounds). */
  peakInFlight(tenant: string): number
  /** Tickets issued so far. */
  readonly ticketsIssued: number
  /** Invalidates every ticket (as when they expire): the next call with one gets 401. */
  expireTickets(): void
  /** Shifts the stand-in's clock (a skewed machine): `3_600_000` makes a token signed now look an hour old. */
  setClockOffset(ms: number): void
  /** Signs the ticket JWTs it issues with a key it does not publish (a forged answer). */
  signTicketsWith(key: 'published' | 'foreign'): void
  /**
   * How the JWKS answers: `published` (default), `down` (503), `hang` (never answers) or `endless`
   * (a 200 whose body never ends, up to 1 GiB).
   */
  setKeySet(mode: 'published' | 'down' | 'hang' | 'endless'): void
  /** Bytes the `endless` key set has written so far. */
  readonly keySetBytesSent: number
  /** A JWT for a tenant status notification, signed with the published key (or a foreign one, or expired). */
  notificationToken(tenant: string, options?: SuperOfficeOnlineTokenOptions): Promise<string>
  /**
   * A JWT signed with the published key, with the claims given (and the issuer, `iat`, `nbf`,
   * `exp`): another app's id_token, a system user's token… for tests of what a receiver refuses.
   */
  signToken(claims: Record<string, unknown>, options?: { expiresInSeconds?: number }): Promise<string>
  /** A tenant status notification body, as SuperOffice posts it. */
  notification(
    tenant: string,
    changeType: keyof typeof superOfficeTenantChangeTypes,
    options?: Omit<SuperOfficeOnlineTokenOptions, 'tenant'> & { tokenTenant?: string },
  ): Promise<Record<string, unknown>>
  close(): Promise<void>
}

/**
 * Starts the stand-in on loopback ports: one authority and two tenant hosts.
 *
 * @example
 * ```ts
 * import { generateKeyPairSync } from 'node:crypto'
 * import { startSuperOfficeOnline } from '@superoffice-webhooks/testing'
 *
 * const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
 * const online = await startSuperOfficeOnline({ appPublicKey: publicKey })
 * // createSuperOfficeApi({ environment: { authority: online.authority }, applicationToken: online.applicationToken,
 * //   privateKey, systemUserToken: 'Cust12345-system-user' })
 * ```
 */
export async function startSuperOfficeOnline(options: SuperOfficeOnlineOptions): Promise<SuperOfficeOnline> {
  const appPublicKey =
    typeof options.appPublicKey === 'string' ? createPublicKey(options.appPublicKey) : options.appPublicKey
  const applicationToken = options.applicationToken ?? 'app-token'
  const applicationId = options.applicationId ?? 'stand-in-app'
  const tenants = new Map<
    string,
    Required<Pick<SuperOfficeOnlineTenant, 'systemUserToken' | 'state'>> & SuperOfficeOnlineTenant
  >()
  for (const [id, tenant] of Object.entries(options.tenants ?? { Cust12345: {} })) {
    tenants.set(id, {
      ...tenant,
      systemUserToken: tenant.systemUserToken ?? `${id}-system-user`,
      state: tenant.state ?? 'Running',
    })
  }
  const ticketTtl = options.ticketTtlSeconds ?? 3600
  const skewMs = (options.maxTokenSkewMinutes ?? 5) * 60_000
  const stateValidForMs = options.stateValidForMs ?? 60 * 60_000
  const autoEntities = options.autoEntities ?? true
  const published = await generateKeyPair('RS256', { extractable: true })
  const foreign = await generateKeyPair('RS256', { extractable: true })
  const kid = randomUUID()
  const jwk = { ...(await exportJWK(published.publicKey)), kid, alg: 'RS256', use: 'sig' }
  const hostOf = new Map<string, 0 | 1>()
  const tickets = new Map<string, string>() // ticket -> tenant
  const entities = new Map<string, Record<string, unknown> | null>() // tenant/resource/id -> carrier (null: deleted)
  const updated = new Map<string, { registered: Date; updated: Date }>() // tenant/resource/id -> when
  /** A resource's list, as SuperOffice's OData list endpoints answer it (a subset of their options). */
  const list = (tenantId: string, resource: string, query: URLSearchParams): [number, unknown] => {
    const idColumn = resource.toLowerCase().startsWith('customobject/') ? 'id' : `${resource.toLowerCase()}Id`
    const prefix = `${tenantId}/${resource.toLowerCase()}/`
    let rows: Record<string, unknown>[] = []
    for (const [key, carrier] of entities) {
      if (!key.startsWith(prefix) || carrier === null) continue
      const when = updated.get(key)
      rows.push({
        [idColumn]: Number(key.slice(prefix.length)),
        updatedDate: when?.updated.toISOString() ?? null,
        registeredDate: when?.registered.toISOString() ?? null,
      })
    }
    const filter = query.get('$filter')
    if (filter) {
      for (const clause of filter.split(/\s+and\s+/i)) {
        const greater = /^(\w+)\s+gt\s+(-?\d+)$/i.exec(clause.trim())
        if (greater) {
          const [, column, bound] = greater as unknown as [string, string, string]
          rows = rows.filter((row) => typeof row[column] === 'number' && (row[column] as number) > Number(bound))
          continue
        }
        const match = /^(\w+)\s+(afterTime|beforeTime)\s+'([^']+)'$/i.exec(clause.trim())
        const time = match ? Date.parse(match[3] as string) : Number.NaN
        if (!match || Number.isNaN(time)) return [400, { Error: `Unsupported $filter: ${clause}` }]
        const [, column, operator] = match as unknown as [string, string, string]
        rows = rows.filter((row) => {
          const value = Date.parse(String(row[column] ?? ''))
          if (Number.isNaN(value)) return false
          return operator.toLowerCase() === 'aftertime' ? value > time : value < time
        })
      }
    }
    const order = query.get('$orderBy')
    if (order) {
      const [column, direction] = order.trim().split(/\s+/) as [string, string | undefined]
      const sign = direction?.toLowerCase() === 'desc' ? -1 : 1
      rows.sort((a, b) =>
        String(a[column]) < String(b[column]) ? -sign : String(a[column]) > String(b[column]) ? sign : 0,
      )
      if (rows.every((row) => typeof row[column] === 'number')) {
        rows.sort((a, b) => sign * ((a[column] as number) - (b[column] as number)))
      }
    }
    const skip = Number(query.get('$skip') ?? 0)
    const top = Number(query.get('$top') ?? 50)
    if (!Number.isInteger(skip) || skip < 0 || !Number.isInteger(top) || top < 0) {
      return [400, { Error: 'Invalid $top or $skip.' }]
    }
    const select = query
      .get('$select')
      ?.split(',')
      .map((c) => c.trim())
      .filter(Boolean)
    const page = rows
      .slice(skip, skip + top)
      .map((row) => (select ? Object.fromEntries(select.map((c) => [c, row[c] ?? null])) : row))
    return [200, { 'odata.metadata': '<null>', value: page }]
  }
  const windows = new Map<string, { second: number; count: number }>()
  const throttledUntil = new Map<string, number>()
  const inFlight = new Map<string, { now: number; peak: number }>()
  /** Counts a tenant's call in flight for `latencyMs`, then lets it answer. */
  const inFlightFor = async (tenantId: string) => {
    const count = inFlight.get(tenantId) ?? { now: 0, peak: 0 }
    inFlight.set(tenantId, count)
    count.now++
    count.peak = Math.max(count.peak, count.now)
    try {
      if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs))
    } finally {
      count.now--
    }
  }
  const calls: SuperOfficeOnlineCall[] = []
  let ticketsIssued = 0
  let clockOffset = 0
  let ticketKey: 'published' | 'foreign' = 'published'
  let keySet: 'published' | 'down' | 'hang' | 'endless' = 'published'
  let keySetBytesSent = 0
  let authority = ''
  const hosts: [string, string] = ['', '']

  const record = (server: string, req: IncomingMessage, path: string, status: number) => {
    const auth = req.headers.authorization
    calls.push({
      server,
      method: req.method ?? 'GET',
      path,
      status,
      scheme: auth ? auth.split(' ')[0] : undefined,
      appToken: req.headers['so-apptoken'] !== undefined,
    })
  }

  const sign = (claims: Record<string, unknown>, key: 'published' | 'foreign', expiresIn: number) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key === 'published' ? kid : randomUUID() })
      .setIssuer(authority)
      .setIssuedAt()
      .setNotBefore(Math.floor(Date.now() / 1000) - 60)
      .setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn)
      .sign(key === 'published' ? published.privateKey : foreign.privateKey)

  const authorityServer = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in')
    const path = url.pathname
    const answer = (status: number, body: unknown) => {
      record('authority', req, path, status)
      json(res, status, body)
    }
    if (req.method === 'GET' && path === '/login/.well-known/jwks') {
      // The key set's outages, as a receiver meets them: down (503), hanging, never ending.
      if (keySet === 'down') return answer(503, { Error: 'Service unavailable' })
      if (keySet === 'hang') return
      if (keySet === 'endless') {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.write('{"keys":[')
        const chunk = Buffer.alloc(64 * 1024, 32)
        const more = () => {
          while (!res.destroyed && keySetBytesSent < 1024 * 1024 * 1024) {
            keySetBytesSent += chunk.length
            if (!res.write(chunk)) return void res.once('drain', more)
          }
        }
        return more()
      }
      return answer(200, { keys: [jwk] })
    }
    if (req.method === 'GET' && path === '/login/.well-known/openid-configuration') {
      return answer(200, { issuer: authority, jwks_uri: `${authority}/login/.well-known/jwks` })
    }
    const state = /^\/api\/state\/([^/]+)$/.exec(path)
    if (req.method === 'GET' && state) {
      const id = decodeURIComponent(state[1] as string)
      const tenant = tenants.get(id)
      if (!tenant) {
        return answer(200, { ContextIdentifier: id, State: 'Unknown', IsRunning: false, Endpoint: null })
      }
      const endpoint = `${hosts[hostOf.get(id) ?? 0]}/${id}`
      return answer(200, {
        ContextIdentifier: id,
        Endpoint: endpoint,
        State: tenant.state,
        IsRunning: tenant.state === 'Running' || tenant.state === 'OnlineMaintenance',
        ValidUntil: new Date(Date.now() + stateValidForMs).toISOString(),
        Api: `${endpoint}/api`,
        Version: 'Release_11.10_stand-in',
      })
    }
    if (req.method === 'POST' && path.toLowerCase() === '/login/api/partnersystemuser/authenticate') {
      const body = await readJson(req)
      const refuse = (message: string) => answer(200, { IsSuccessful: false, ErrorMessage: message, Token: null })
      if (!body) return answer(400, { Message: 'The request body is not JSON.' })
      if (body.ApplicationToken !== applicationToken) return refuse('Unknown application token.')
      const tenantId = body.ContextIdentifier
      const tenant = typeof tenantId === 'string' ? tenants.get(tenantId) : undefined
      if (!tenant || typeof tenantId !== 'string') return refuse('Unknown context identifier.')
      const signed = typeof body.SignedSystemToken === 'string' ? body.SignedSystemToken : ''
      const cut = signed.lastIndexOf('.')
      const data = signed.slice(0, cut)
      const signature = signed.slice(cut + 1)
      const stampAt = data.lastIndexOf('.')
      const token = data.slice(0, stampAt)
      const stamp = data.slice(stampAt + 1)
      if (cut < 0 || stampAt < 0) return refuse('SignedSystemToken is not token.timestamp.signature.')
      let valid = false
      try {
        valid = createVerify('sha256').update(data, 'utf8').verify(appPublicKey, signature, 'base64')
      } catch {}
      if (!valid) return refuse('The signature of the system user token is not valid.')
      const at = parseStamp(stamp)
      if (at === undefined || Math.abs(Date.now() + clockOffset - at) > skewMs)
        return refuse('The system user token timestamp is too old or in the future.')
      if (token !== tenant.systemUserToken) return refuse('Unknown system user token.')
      const ticket = `7T:${randomBytes(24).toString('base64url')}`
      tickets.set(ticket, tenantId)
      ticketsIssued++
      const jwt = await sign(
        { [TICKET_CLAIM]: ticket, [TENANT_CLAIM]: tenantId, sub: 'system user', aud: `spn:${tenantId}` },
        ticketKey,
        ticketTtl,
      )
      return answer(200, { IsSuccessful: true, Token: jwt, ErrorMessage: '' })
    }
    answer(404, { Message: `No route for ${req.method} ${path}` })
  })

  const tenantServer = (index: 0 | 1) =>
    createServer(async (req, res) => {
      const server = `host${index}`
      const url = new URL(req.url ?? '/', 'http://stand-in')
      const match = /^\/([^/]+)(\/api\/v1\/.*)$/.exec(url.pathname)
      const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        record(server, req, url.pathname, status)
        json(res, status, body, headers)
      }
      if (!match) return answer(404, { Message: 'Not a tenant API path.' })
      const tenantId = decodeURIComponent(match[1] as string)
      const apiPath = match[2] as string
      const tenant = tenants.get(tenantId)
      if (!tenant) return answer(404, { Message: `Unknown tenant ${tenantId}.` })
      if ((hostOf.get(tenantId) ?? 0) !== index) {
        return answer(421, { Error: 'Wrong subdomain used to access tenant' })
      }
      if (tenant.state !== 'Running' && tenant.state !== 'OnlineMaintenance') {
        return answer(503, { Error: `Tenant is ${tenant.state}` })
      }
      const auth = req.headers.authorization ?? ''
      const [scheme, credential] = [auth.slice(0, auth.indexOf(' ')), auth.slice(auth.indexOf(' ') + 1)]
      const authorised =
        (scheme === 'SOTicket' &&
          tickets.get(credential) === tenantId &&
          req.headers['so-apptoken'] === applicationToken) ||
        (scheme === 'Bearer' && tenant.accessToken !== undefined && credential === tenant.accessToken)
      if (!authorised)
        return answer(401, { Error: 'Unauthorized: the ticket or token is missing, unknown or expired.' })
      const until = throttledUntil.get(tenantId) ?? 0
      if (until > Date.now()) {
        return answer(
          429,
          { Error: 'Too many requests.' },
          { 'Retry-After': String(Math.ceil((until - Date.now()) / 1000)) },
        )
      }
      if (options.rateLimitPerSecond !== undefined) {
        const second = Math.floor(Date.now() / 1000)
        const window = windows.get(tenantId)
        if (!window || window.second !== second) windows.set(tenantId, { second, count: 1 })
        else if (++window.count > options.rateLimitPerSecond) {
          return answer(429, { Error: 'Too many requests.' }, { 'Retry-After': '1' })
        }
      }
      const entity =
        /^\/api\/v1\/([A-Za-z]+)\/(\d+)$/.exec(apiPath) ??
        /^\/api\/v1\/(CustomObject\/[A-Za-z0-9_]+)\/(\d+)$/.exec(apiPath)
      if (req.method === 'GET' && entity && entity[1] !== 'Webhook') {
        await inFlightFor(tenantId)
        const [, resource, id] = entity as unknown as [string, string, string]
        const key = `${tenantId}/${resource.toLowerCase()}/${id}`
        const stored = entities.get(key)
        if (stored === null || (stored === undefined && !autoEntities)) {
          return answer(404, { Error: `${resource} ${id} not found.` })
        }
        return answer(200, stored ?? synthesize(resource, Number(id)))
      }
      const listOf =
        /^\/api\/v1\/([A-Za-z]+)\/?$/.exec(apiPath) ?? /^\/api\/v1\/(CustomObject\/[A-Za-z0-9_]+)\/?$/.exec(apiPath)
      if (req.method === 'GET' && listOf && listOf[1] !== 'Webhook') {
        await inFlightFor(tenantId)
        const [status, body] = list(tenantId, listOf[1] as string, url.searchParams)
        return answer(status, body)
      }
      const target = options.forward?.(tenantId)
      if (!target) return answer(404, { Message: `No route for ${req.method} ${apiPath}` })
      // Forwarded (the Webhook API stand-in): the body and the answer pass through unchanged.
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      const forwarded = await fetch(`${target.baseUrl.replace(/\/+$/, '')}${apiPath}${url.search}`, {
        method: req.method ?? 'GET',
        headers: { 'content-type': req.headers['content-type'] ?? 'application/json', ...target.headers },
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      })
      const text = await forwarded.text()
      record(server, req, url.pathname, forwarded.status)
      res.writeHead(forwarded.status, { 'content-type': forwarded.headers.get('content-type') ?? 'application/json' })
      res.end(text)
    })

  const servers: Server[] = [authorityServer, tenantServer(0), tenantServer(1)]
  const origins = await Promise.all(
    servers.map(
      (server) =>
        new Promise<string>((resolve) =>
          server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
        ),
    ),
  )
  authority = origins[0] as string
  hosts[0] = origins[1] as string
  hosts[1] = origins[2] as string

  const tenantOf = (id: string) => {
    const tenant = tenants.get(id)
    if (!tenant) throw new Error(`The stand-in has no tenant ${id}.`)
    return tenant
  }

  const online: SuperOfficeOnline = {
    authority,
    hosts,
    applicationToken,
    applicationId,
    calls,
    get ticketsIssued() {
      return ticketsIssued
    },
    hostOf: (tenant) => hostOf.get(tenant) ?? 0,
    peakInFlight: (tenant) => inFlight.get(tenant)?.peak ?? 0,
    throttleTenant(tenant, seconds) {
      throttledUntil.set(tenant, Date.now() + seconds * 1000)
    },
    moveTenant(tenant) {
      tenantOf(tenant)
      const next = (hostOf.get(tenant) ?? 0) === 0 ? 1 : 0
      hostOf.set(tenant, next)
      return hosts[next]
    },
    setState(tenant, state) {
      tenantOf(tenant).state = state
    },
    put(tenant, resource, id, carrier, putOptions) {
      const key = `${tenant}/${resource.toLowerCase()}/${id}`
      entities.set(key, carrier)
      const at = putOptions?.updatedAt ?? new Date(Date.now() + clockOffset)
      updated.set(key, { registered: updated.get(key)?.registered ?? at, updated: at })
    },
    remove(tenant, resource, id) {
      entities.set(`${tenant}/${resource.toLowerCase()}/${id}`, null)
    },
    expireTickets() {
      tickets.clear()
    },
    setClockOffset(ms) {
      clockOffset = ms
    },
    signTicketsWith(key) {
      ticketKey = key
    },
    setKeySet(mode) {
      keySet = mode
    },
    get keySetBytesSent() {
      return keySetBytesSent
    },
    notificationToken(tenant, tokenOptions = {}) {
      return sign(
        {
          [TENANT_CLAIM]: tokenOptions.tenant ?? tenant,
          sub: 'tenant status',
          aud: tokenOptions.audience ?? applicationId,
          jti: randomUUID(),
        },
        tokenOptions.key ?? 'published',
        tokenOptions.expired ? -600 : 300,
      )
    },
    signToken(claims, tokenOptions = {}) {
      return sign(claims, 'published', tokenOptions.expiresInSeconds ?? 300)
    },
    async notification(tenant, changeType, notificationOptions = {}) {
      const { tokenTenant, ...tokenOptions } = notificationOptions
      const token = await online.notificationToken(tenant, { ...tokenOptions, tenant: tokenTenant ?? tenant })
      const body: Record<string, unknown> = {
        ChangeType: superOfficeTenantChangeTypes[changeType],
        ContextIdentifier: tenant,
        VersionName: 'Release_11.10_stand-in',
        FileVersion: '11.10.0.0',
        Token: token,
      }
      if (changeType === 'Move') body.PublicEndpoint = new URL(hosts[hostOf.get(tenant) ?? 0]).host
      return body
    },
    async close() {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve())
              server.closeAllConnections()
            }),
        ),
      )
    },
  }
  return online
}

/** A minimal carrier for a row nobody put: its id under the carrier's own id field. */
function synthesize(resource: string, id: number): Record<string, unknown> {
  if (resource.startsWith('CustomObject/')) {
    return { DefinitionName: resource.slice('CustomObject/'.length), Id: id, Values: {} }
  }
  const name = resource.charAt(0).toUpperCase() + resource.slice(1)
  return { [`${name}Id`]: id, Heading: `${name} ${id}`, Name: `${name} ${id}` }
}

/** `yyyyMMddHHmm` (UTC) to epoch ms. */
function parseStamp(stamp: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(stamp)
  if (!m) return undefined
  const [, y, mo, d, h, mi] = m.map(Number) as [number, number, number, number, number, number]
  return Date.UTC(y, mo - 1, d, h, mi)
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
  res.end(JSON.stringify(body))
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    return value && typeof value === 'object' ? value : undefined
  } catch {
    return undefined
  }
}
