// createSuperOfficeApi against the SuperOffice Online stand-in of @superoffice-webhooks/testing,
// over real HTTP: tickets, tenant endpoints and moves, entities, throttling.
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import {
  createTestEvent,
  type SuperOfficeOnline,
  signedPayload,
  startSuperOfficeOnline,
} from '@superoffice-webhooks/testing'
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest'
import {
  createSuperOfficeApi,
  type SaleEntity,
  SuperOfficeApiError,
  type SuperOfficeApiOptions,
  SuperOfficeTenantStateError,
} from '../src/index.js'

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()

/** The key in SuperOffice's RSA XML form, as the Developer Portal hands it out. */
export function toRsaXml(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' }) as Record<string, string>
  const b64 = (v: string | undefined) => Buffer.from(v as string, 'base64url').toString('base64')
  return `<RSAKeyValue><Modulus>${b64(jwk.n)}</Modulus><Exponent>${b64(jwk.e)}</Exponent><P>${b64(jwk.p)}</P><Q>${b64(jwk.q)}</Q><DP>${b64(jwk.dp)}</DP><DQ>${b64(jwk.dq)}</DQ><InverseQ>${b64(jwk.qi)}</InverseQ><D>${b64(jwk.d)}</D></RSAKeyValue>`
}

let online: SuperOfficeOnline

const deliver = (webhooks: ReturnType<typeof createSuperOfficeWebhooks>, event: object) => {
  const { body, headers } = signedPayload(event, { secret: 'shh-secret' })
  return webhooks.handle({ rawBody: body, headers })
}
beforeEach(async () => {
  online = await startSuperOfficeOnline({
    appPublicKey: publicKey,
    tenants: { Cust12345: {}, Cust777: { systemUserToken: 'Other-system-user' } },
  })
})
afterEach(() => online.close())

const apiFor = (overrides: Partial<SuperOfficeApiOptions> = {}) =>
  createSuperOfficeApi({
    environment: { authority: online.authority },
    applicationToken: online.applicationToken,
    privateKey: pem,
    systemUserToken: (tenant) => (tenant === 'Cust777' ? 'Other-system-user' : `${tenant}-system-user`),
    retryDelayMs: 20,
    ...overrides,
  })

describe('system-user tickets', () => {
  it('signs with a PEM key, authenticates, checks the JWT, and calls with SOTicket and SO-AppToken', async () => {
    const api = apiFor()
    const sale = await api.request<SaleEntity>('Cust12345', 'GET', '/Sale/12')
    expect(sale.SaleId).toBe(12)
    const call = online.calls.find((c) => c.path === '/Cust12345/api/v1/Sale/12')
    expect(call).toMatchObject({ status: 200, scheme: 'SOTicket', appToken: true })
    await api.request('Cust12345', 'GET', '/Contact/5')
    expect(online.ticketsIssued).toBe(1) // cached
  })

  it("signs with SuperOffice's RSA XML key", async () => {
    const api = apiFor({ privateKey: toRsaXml(privateKey) })
    expect(await api.request('Cust12345', 'GET', '/Person/3')).toMatchObject({ PersonId: 3 })
  })

  it('a key the app did not register is refused with a clear error', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    const api = apiFor({ privateKey: other })
    const error = await api.request('Cust12345', 'GET', '/Sale/1').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SuperOfficeApiError)
    expect(String(error)).toMatch(/refused the system user: The signature of the system user token is not valid/)
  })

  it("a timestamp SuperOffice finds too old (this machine's clock is behind) is refused, naming it", async () => {
    online.setClockOffset(60 * 60_000)
    const error = await apiFor()
      .request('Cust12345', 'GET', '/Sale/1')
      .catch((e: unknown) => e)
    expect(String(error)).toMatch(/timestamp is too old/)
  })

  it('a ticket JWT signed by a key SuperOffice does not publish is refused', async () => {
    online.signTicketsWith('foreign')
    const error = await apiFor()
      .request('Cust12345', 'GET', '/Sale/1')
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SuperOfficeApiError)
    expect(String(error)).toMatch(/JWT was refused: the token's key is not among SuperOffice's published keys/)
    expect(online.calls.some((c) => c.server !== 'authority')).toBe(false) // nothing was called with it
  })

  it('a wrong application token or an unknown system user token is refused, and the tokens never show', async () => {
    const api = apiFor({ applicationToken: 'not-the-app-token-123', systemUserToken: 'secret-system-user-token' })
    const error = (await api.request('Cust12345', 'GET', '/Sale/1').catch((e: unknown) => e)) as Error
    expect(error.message).toMatch(/Unknown application token/)
    expect(error.message).not.toContain('not-the-app-token-123')
    expect(error.message).not.toContain('secret-system-user-token')
  })

  it('a ticket SuperOffice no longer accepts (401) is renewed once and the call succeeds', async () => {
    const api = apiFor()
    await api.request('Cust12345', 'GET', '/Sale/1')
    online.expireTickets()
    expect(await api.request('Cust12345', 'GET', '/Sale/2')).toMatchObject({ SaleId: 2 })
    expect(online.ticketsIssued).toBe(2)
  })

  it('each tenant gets its own ticket, and concurrent first calls fetch it once', async () => {
    const api = apiFor()
    await Promise.all(Array.from({ length: 8 }, (_, i) => api.request('Cust12345', 'GET', `/Sale/${i + 1}`)))
    await api.request('Cust777', 'GET', '/Sale/1')
    expect(online.ticketsIssued).toBe(2)
  })

  it('an OAuth access token is sent as Bearer, refreshed once on 401', async () => {
    await online.close()
    online = await startSuperOfficeOnline({
      appPublicKey: publicKey,
      tenants: { Cust12345: { accessToken: 'fresh-token' } },
    })
    let refreshed = 0
    const api = createSuperOfficeApi({
      environment: { authority: online.authority },
      accessToken: 'stale-token',
      refreshAccessToken: () => {
        refreshed++
        return 'fresh-token'
      },
    })
    expect(await api.request('Cust12345', 'GET', '/Sale/4')).toMatchObject({ SaleId: 4 })
    expect(refreshed).toBe(1)
    expect(online.calls.filter((c) => c.scheme === 'Bearer').map((c) => c.status)).toEqual([401, 200])
  })
})

describe('the tenant endpoint', () => {
  it('comes from the state API, and a move is followed: 421 from the old host, a new lookup, success', async () => {
    const api = apiFor()
    await api.request('Cust12345', 'GET', '/Sale/1')
    const before = online.hostOf('Cust12345')
    online.moveTenant('Cust12345')
    expect(await api.request('Cust12345', 'GET', '/Sale/2')).toMatchObject({ SaleId: 2 })
    const tenantCalls = online.calls.filter((c) => c.server !== 'authority')
    // Node's fetch (undici) itself tries a 421 once more on a new connection, so the old host may
    // be asked twice before the client sees the 421; what matters is the lookup and the new host.
    const distinct = tenantCalls.map((c) => `${c.server} ${c.status}`).filter((c, i, all) => c !== all[i - 1])
    expect(distinct).toEqual([`host${before} 200`, `host${before} 421`, `host${1 - before} 200`])
    expect(online.calls.filter((c) => c.path === '/api/state/Cust12345')).toHaveLength(2)
    expect((await api.endpoint('Cust12345')).endpoint).toBe(`${online.hosts[1 - before]}/Cust12345`)
  })

  it('a tenant that is not running is a clear error naming its state; back to running, calls work', async () => {
    online.setState('Cust12345', 'OfflineMaintenance')
    const api = apiFor()
    const error = await api.request('Cust12345', 'GET', '/Sale/1').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SuperOfficeTenantStateError)
    expect(error).toMatchObject({ tenant: 'Cust12345', state: 'OfflineMaintenance' })
    online.setState('Cust12345', 'Running')
    api.forgetEndpoint('Cust12345')
    expect(await api.request('Cust12345', 'GET', '/Sale/1')).toMatchObject({ SaleId: 1 })
  })

  it('a tenant identifier that could walk the URL is refused before any request', async () => {
    const api = apiFor()
    for (const bad of ['../Cust1', 'Cust1/api', 'Cust%2F1', '']) {
      await expect(api.request(bad, 'GET', '/Sale/1')).rejects.toThrow(/not a SuperOffice tenant identifier/)
    }
    await expect(api.request('Cust12345', 'GET', '/Sale/../Webhook')).rejects.toThrow(/must be a path under \/api\/v1/)
    expect(online.calls).toHaveLength(0)
  })
})

describe('fetchEntity', () => {
  it('fetches the carrier behind each entity family, typed; a deleted row is null', async () => {
    const api = apiFor()
    online.put('Cust12345', 'Sale', 12, { SaleId: 12, Heading: 'Big deal', Amount: 1000 })
    const sale = await api.fetchEntity(createTestEvent('sale.sold', { PrimaryKey: 12, ContextIdentifier: 'Cust12345' }))
    expectTypeOf(sale).toEqualTypeOf<SaleEntity | null>()
    expect(sale).toEqual({ SaleId: 12, Heading: 'Big deal', Amount: 1000 })
    const cases: [string, number, Record<string, unknown>, string][] = [
      ['contact.changed', 5, {}, 'ContactId'],
      ['person.created', 6, {}, 'PersonId'],
      ['project.changed', 7, {}, 'ProjectId'],
      ['ticket.created', 8, {}, 'TicketId'],
      ['activity.changed', 9, {}, 'AppointmentId'],
      ['activity.changed', 10, { FieldValues: { document_id: 44 } }, 'DocumentId'],
      ['document.edited', 11, {}, 'DocumentId'],
      ['chatsession.changed', 12, {}, 'ChatSessionId'],
    ]
    for (const [name, key, extra, idField] of cases) {
      const event = {
        ...createTestEvent(name as 'sale.sold', { PrimaryKey: key, ContextIdentifier: 'Cust12345' }),
        ...extra,
      }
      const entity = (await api.fetchEntity(event)) as Record<string, unknown>
      expect(entity[idField], name).toBe(name === 'activity.changed' && key === 10 ? 44 : key)
    }
    const custom = await api.fetchEntity({
      Event: 'y_equipment.changed',
      Entity: 'y_equipment',
      PrimaryKey: 3,
      ContextIdentifier: 'Cust12345',
    })
    expect(custom).toMatchObject({ DefinitionName: 'y_equipment', Id: 3 })
    online.remove('Cust12345', 'Sale', 13)
    expect(
      await api.fetchEntity(createTestEvent('sale.deleted', { PrimaryKey: 13, ContextIdentifier: 'Cust12345' })),
    ).toBeNull()
    await expect(api.fetchEntity(createTestEvent('test', { ContextIdentifier: 'Cust12345' }))).rejects.toThrow(
      /'test' events have no entity/,
    )
  })

  it('handlers get context.fetchEntity(); 200 sale.changed events under 10 calls/s all succeed', {
    timeout: 180_000,
  }, async () => {
    await online.close()
    online = await startSuperOfficeOnline({ appPublicKey: publicKey, rateLimitPerSecond: 10 })
    const api = apiFor()
    const webhooks = createSuperOfficeWebhooks({ secret: 'shh-secret', api, logger: false })
    const fetched: number[] = []
    webhooks.on('sale.changed', async (_event, context) => {
      const sale = await context.fetchEntity()
      expectTypeOf(sale).toEqualTypeOf<SaleEntity | null>()
      fetched.push(sale?.SaleId as number)
    })
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        deliver(webhooks, createTestEvent('sale.changed', { PrimaryKey: i + 1, ContextIdentifier: 'Cust12345' })),
      ),
    )
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200))
    expect(fetched.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
    expect(online.calls.some((c) => c.status === 429)).toBe(true) // the limit was met, and honoured
  })

  it('without an api, context.fetchEntity() says what to pass', async () => {
    const webhooks = createSuperOfficeWebhooks({ secret: 'shh-secret', logger: false })
    let message = ''
    webhooks.on('sale.sold', async (_event, context) => {
      message = await context.fetchEntity().then(String, (e: Error) => e.message)
    })
    await deliver(webhooks, createTestEvent('sale.sold'))
    expect(message).toMatch(/needs a SuperOffice API client: createSuperOfficeWebhooks\(\{ api/)
  })
})

describe('superOfficeApiOptionsFromEnv', () => {
  it('reads a system user, an access token, or nothing; names what is missing', async () => {
    const { superOfficeApiOptionsFromEnv } = await import('../src/index.js')
    expect(superOfficeApiOptionsFromEnv({})).toBeUndefined()
    expect(
      superOfficeApiOptionsFromEnv({
        SUPEROFFICE_ENVIRONMENT: 'sod',
        SUPEROFFICE_APP_TOKEN: 'app',
        SUPEROFFICE_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\\nabc\\n-----END PRIVATE KEY-----',
        SUPEROFFICE_SYSTEM_USER_TOKEN: 'sys',
      }),
    ).toEqual({
      environment: 'sod',
      applicationToken: 'app',
      privateKey: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----',
      systemUserToken: 'sys',
    })
    expect(
      superOfficeApiOptionsFromEnv({ SUPEROFFICE_ENVIRONMENT: 'http://127.0.0.1:1', SUPEROFFICE_ACCESS_TOKEN: 't' }),
    ).toEqual({
      environment: { authority: 'http://127.0.0.1:1' },
      accessToken: 't',
    })
    expect(() => superOfficeApiOptionsFromEnv({ SUPEROFFICE_APP_TOKEN: 'app' })).toThrow(
      /also needs SUPEROFFICE_PRIVATE_KEY or SUPEROFFICE_PRIVATE_KEY_FILE, SUPEROFFICE_SYSTEM_USER_TOKEN/,
    )
    expect(() =>
      superOfficeApiOptionsFromEnv({ SUPEROFFICE_ENVIRONMENT: 'prod', SUPEROFFICE_ACCESS_TOKEN: 't' }),
    ).toThrow(/must be sod, stage, online or an authority URL/)
  })
})
