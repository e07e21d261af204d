// Gap recovery (issue 30): reconcile reads the rows changed in a window without deliveries from
// SuperOffice's list endpoints (the Online stand-in, over real HTTP, with its throttle), and puts
// one <entity>.changed per row into the receiver's pipeline, marked context.reconciled. Run again,
// or after an interruption, it loses no row and handles none twice.
import { generateKeyPairSync } from 'node:crypto'
import { createSuperOfficeWebhooks, type SuperOfficeReconciled } from '@superoffice-webhooks/core'
import { type SuperOfficeOnline, startSuperOfficeOnline } from '@superoffice-webhooks/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createSuperOfficeApi, reconcile } from '../src/index.js'

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const since = new Date('2026-12-01T08:00:00Z')
const until = new Date('2026-12-01T09:00:00Z')
const at = (minutes: number) => new Date(since.getTime() + minutes * 60_000)

let online: SuperOfficeOnline
beforeEach(async () => {
  online = await startSuperOfficeOnline({ appPublicKey: publicKey, tenants: { CustA: {}, CustB: {} } })
  // CustA: 250 sales changed in the window, 5 before it, 5 after it; 20 contacts in it. CustB: its own.
  for (let id = 1; id <= 250; id++) online.put('CustA', 'Sale', id, { SaleId: id }, { updatedAt: at(id % 59) })
  for (let id = 251; id <= 255; id++) online.put('CustA', 'Sale', id, { SaleId: id }, { updatedAt: at(-5) })
  for (let id = 256; id <= 260; id++) online.put('CustA', 'Sale', id, { SaleId: id }, { updatedAt: at(61) })
  for (let id = 1; id <= 20; id++) online.put('CustA', 'Contact', id, { ContactId: id }, { updatedAt: at(30) })
  for (let id = 1; id <= 3; id++) online.put('CustB', 'Sale', id, { SaleId: id }, { updatedAt: at(10) })
})
afterEach(async () => {
  await online.close()
})

const apiFor = (extra: Record<string, unknown> = {}) =>
  createSuperOfficeApi({
    environment: { authority: online.authority },
    applicationToken: online.applicationToken,
    privateKey,
    systemUserToken: (tenant) => `${tenant}-system-user`,
    retryDelayMs: 5,
    ...extra,
  })

function receiver() {
  const webhooks = createSuperOfficeWebhooks({ secret: 'unused', logger: false })
  const handled: { key: string; reconciled: SuperOfficeReconciled | undefined; timestamp: string }[] = []
  const byName: number[] = []
  webhooks.on(['sale.changed', 'contact.changed'], (event, context) => {
    handled.push({
      key: `${event.ContextIdentifier}/${event.Entity}/${event.PrimaryKey}`,
      reconciled: context.reconciled,
      timestamp: event.Timestamp,
    })
  })
  // A handler for one field: a recovered event's changes are unknown, so it runs too.
  webhooks.on('sale.changed', (event) => void byName.push(event.PrimaryKey), { changed: ['heading'] })
  return { webhooks, handled, byName }
}

describe('reconcile', () => {
  it("puts one <entity>.changed per row changed in the window into the pipeline, page by page, that tenant's only", async () => {
    const { webhooks, handled, byName } = receiver()
    const result = await reconcile({
      api: apiFor(),
      webhooks,
      tenant: 'CustA',
      since,
      until,
      entities: ['sale', 'contact'],
      pageSize: 100,
    })
    expect(result.entities).toEqual({
      sale: { rows: 250, queued: 0, handled: 250, duplicate: 0 },
      contact: { rows: 20, queued: 0, handled: 20, duplicate: 0 },
    })
    expect(result.total).toBe(270)
    expect(new Set(handled.map((h) => h.key)).size).toBe(270)
    expect(handled.every((h) => h.key.startsWith('CustA/'))).toBe(true)
    expect(handled[0]?.reconciled).toEqual({ since: since.toISOString(), at: expect.any(String) })
    expect(byName).toHaveLength(250)
    // Paged by id: three list calls for 250 sales, one for 20 contacts.
    const lists = online.calls.filter((c) => c.path === '/CustA/api/v1/Sale' || c.path === '/CustA/api/v1/Contact')
    expect(lists.map((c) => c.path)).toEqual([
      '/CustA/api/v1/Sale',
      '/CustA/api/v1/Sale',
      '/CustA/api/v1/Sale',
      '/CustA/api/v1/Contact',
    ])
  })

  it('interrupted halfway and run again: no row lost, none handled twice; a row changed again since is handled again, newer', async () => {
    const { webhooks, handled } = receiver()
    const abort = new AbortController()
    const api = apiFor()
    await expect(
      reconcile({
        api,
        webhooks,
        tenant: 'CustA',
        since,
        until,
        entities: ['sale'],
        pageSize: 100,
        signal: abort.signal,
        onProgress: ({ rows }) => {
          if (rows >= 100) abort.abort(new Error('stopped by the operator'))
        },
      }),
    ).rejects.toThrow(/stopped by the operator/)
    expect(handled).toHaveLength(100)
    online.put('CustA', 'Sale', 7, { SaleId: 7 }, { updatedAt: at(59.5) }) // changed again meanwhile
    const again = await reconcile({ api, webhooks, tenant: 'CustA', since, until, entities: ['sale'], pageSize: 100 })
    expect(again.entities.sale).toEqual({ rows: 250, queued: 0, handled: 151, duplicate: 99 })
    const keys = handled.map((h) => h.key)
    expect(new Set(keys).size).toBe(250)
    const seven = handled.filter((h) => h.key === 'CustA/sale/7')
    expect(seven).toHaveLength(2)
    expect(Date.parse(seven[1]?.timestamp as string)).toBeGreaterThan(Date.parse(seven[0]?.timestamp as string))
    expect(keys.filter((k) => k !== 'CustA/sale/7').length).toBe(new Set(keys).size - 1)
  })

  it('waits out the tenant throttle (429 with Retry-After) and finishes', async () => {
    await online.close()
    online = await startSuperOfficeOnline({ appPublicKey: publicKey, tenants: { CustA: {} }, rateLimitPerSecond: 2 })
    for (let id = 1; id <= 30; id++) online.put('CustA', 'Sale', id, { SaleId: id }, { updatedAt: at(1) })
    const { webhooks, handled } = receiver()
    const result = await reconcile({
      api: apiFor(),
      webhooks,
      tenant: 'CustA',
      since,
      until,
      entities: ['sale'],
      pageSize: 5,
    })
    expect(result.total).toBe(30)
    expect(handled).toHaveLength(30)
    expect(online.calls.some((c) => c.status === 429)).toBe(true)
  })

  it('refuses a window that is no date and a name that is no entity; a failing handler rejects with handler_failed', async () => {
    const { webhooks } = receiver()
    await expect(reconcile({ api: apiFor(), webhooks, tenant: 'CustA', since: 'yesterday-ish' })).rejects.toThrow(
      /since and until must be dates/,
    )
    await expect(
      reconcile({ api: apiFor(), webhooks, tenant: 'CustA', since, entities: ['sale; DROP'] }),
    ).rejects.toThrow(/not an entity name/)
    const failing = createSuperOfficeWebhooks({ secret: 'unused', logger: false })
    failing.on('sale.changed', () => {
      throw new Error('ERP down')
    })
    await expect(
      reconcile({ api: apiFor(), webhooks: failing, tenant: 'CustB', since, until, entities: ['sale'] }),
    ).rejects.toMatchObject({ code: 'handler_failed' })
  })
})
