// Every tenant's webhook (issue 30): ensureTenantWebhooks gives each tenant the app's webhook with
// its own secret, kept where the receiver reads it; removeTenantWebhooks undoes it; one watchdog
// restarts any tenant's stopped webhook, round after round, as tenants come and go. All over real
// HTTP: the Online stand-in (state API, tickets, tenant hosts) forwarding each tenant's Webhook API
// to a Webhook API stand-in of its own, which posts a signed test event to our receiver on save.
import { generateKeyPairSync } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createSuperOfficeApi, type SuperOfficeApi } from '@superoffice-webhooks/api'
import {
  createMemorySecretStore,
  createSuperOfficeWebhooks,
  type SuperOfficeSecretStore,
  secretsFromStore,
  signPayload,
} from '@superoffice-webhooks/core'
import { readRawBody } from '@superoffice-webhooks/core/adapter'
import { startWebhookApiServer, type WebhookApiServer } from '@superoffice-webhooks/fixtures/webhook-api'
import { type SuperOfficeOnline, startSuperOfficeOnline } from '@superoffice-webhooks/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  createSuperOfficeWebhookClient,
  ensureTenantWebhooks,
  removeTenantWebhooks,
  type TenantWebhookRestart,
  watchTenantWebhooks,
} from '../src/index.js'

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const TENANTS = ['CustA', 'CustB', 'CustC']

let online: SuperOfficeOnline
let webhookApis: Map<string, WebhookApiServer>
let receiver: { server: Server; url: string; handled: string[] }
let store: SuperOfficeSecretStore
let api: SuperOfficeApi
/** Requests the client has started (the stand-in may log one sent just before a stop later). */
let started = 0

const until = async (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

beforeEach(async () => {
  webhookApis = new Map()
  for (const tenant of TENANTS) {
    webhookApis.set(tenant, await startWebhookApiServer({ tenant, retryDelaysMs: [5, 5] }))
  }
  online = await startSuperOfficeOnline({
    appPublicKey: publicKey,
    tenants: Object.fromEntries(TENANTS.map((t) => [t, {}])),
    forward: (tenant) => {
      const target = webhookApis.get(tenant)
      return target && { baseUrl: target.baseUrl, headers: { authorization: `Bearer ${target.token}` } }
    },
  })
  api = createSuperOfficeApi({
    environment: { authority: online.authority },
    applicationToken: online.applicationToken,
    privateKey,
    systemUserToken: (tenant) => `${tenant}-system-user`,
    retryDelayMs: 5,
    retries: 1,
    fetch: (input, init) => {
      started++
      return fetch(input, init)
    },
  })
  store = createMemorySecretStore()
  const webhooks = createSuperOfficeWebhooks({ secret: secretsFromStore(store), logger: false })
  const handled: string[] = []
  webhooks.onAny((event) => {
    handled.push(`${event.ContextIdentifier}:${event.Event}`)
  })
  const server = createServer(async (req, res) => {
    try {
      const answer = await webhooks.handle({
        rawBody: await readRawBody(req, { limit: 1 << 20 }),
        headers: req.headers,
      })
      res.writeHead(answer.status, answer.headers).end(JSON.stringify(answer.body))
    } catch (error) {
      const answer = webhooks.answerError(error)
      res.writeHead(answer.status, answer.headers).end(JSON.stringify(answer.body))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  receiver = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`, handled }
})

afterEach(async () => {
  receiver.server.closeAllConnections()
  await new Promise((resolve) => receiver.server.close(resolve))
  await online.close()
  for (const server of webhookApis.values()) await server.close()
})

const spec = () => ({ name: 'crm-sync', targetUrl: receiver.url, events: ['sale.sold', 'contact.changed'] })
const hookOf = (tenant: string) =>
  [...(webhookApis.get(tenant)?.webhooks.values() ?? [])].find((h) => h.Name === 'crm-sync')
const post = (tenant: string, secret: string) => {
  const body = JSON.stringify({
    EventId: crypto.randomUUID(),
    Timestamp: new Date().toISOString(),
    Changes: [],
    Event: 'sale.sold',
    PrimaryKey: 7,
    Entity: 'sale',
    ContextIdentifier: tenant,
    ChangedByAssociateId: 1,
    WebhookName: 'crm-sync',
  })
  return fetch(receiver.url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-superoffice-signature': signPayload(body, secret) },
  })
}

describe('ensureTenantWebhooks', () => {
  it('gives every tenant the webhook with a secret of its own, kept where the receiver reads it; a second run changes nothing', async () => {
    const progress: number[] = []
    const results = await ensureTenantWebhooks({
      api,
      secrets: store,
      tenants: TENANTS,
      ...spec(),
      onResult: (_, { done }) => void progress.push(done),
    })
    expect(results.map((r) => [r.tenant, r.action]).sort()).toEqual([
      ['CustA', 'created'],
      ['CustB', 'created'],
      ['CustC', 'created'],
    ])
    expect(progress).toEqual([1, 2, 3])
    const secrets = await Promise.all(TENANTS.map(async (t) => (await store.get(t))[0] as string))
    expect(new Set(secrets).size).toBe(3) // one each
    for (const [i, tenant] of TENANTS.entries()) {
      expect(hookOf(tenant)?.Secret).toBe(secrets[i])
      expect(secrets[i]?.length).toBeGreaterThanOrEqual(40)
    }
    // Each saved webhook's deliveries are verified with that tenant's secret, end to end.
    for (const tenant of TENANTS) await createSuperOfficeWebhookClient({ api, tenant }).signal('sale.sold', 1)
    await until(() => receiver.handled.length === 3, 'a delivery from each tenant')
    expect(receiver.handled.sort()).toEqual(['CustA:sale.sold', 'CustB:sale.sold', 'CustC:sale.sold'])
    // A tenant only ever with its own secret: a body naming CustA signed with CustB's is refused.
    expect((await post('CustA', secrets[1] as string)).status).toBe(401)
    expect((await post('CustA', secrets[0] as string)).status).toBe(200)
    const again = await ensureTenantWebhooks({ api, secrets: store, tenants: () => TENANTS, ...spec() })
    expect(again.map((r) => r.action)).toEqual(['unchanged', 'unchanged', 'unchanged'])
    expect(again.every((r) => r.action !== 'failed' && !r.newSecret)).toBe(true)
  })

  it('rotate: a new secret for each tenant, the previous one still accepted beside it', async () => {
    await ensureTenantWebhooks({ api, secrets: store, tenants: TENANTS, ...spec() })
    const before = (await store.get('CustB'))[0] as string
    const results = await ensureTenantWebhooks({ api, secrets: store, tenants: TENANTS, ...spec(), rotate: true })
    expect(results.map((r) => r.action)).toEqual(['updated', 'updated', 'updated'])
    const [now, previous] = await store.get('CustB')
    expect(previous).toBe(before)
    expect(now).not.toBe(before)
    expect(hookOf('CustB')?.Secret).toBe(now)
    expect((await post('CustB', before)).status).toBe(200) // in flight when the rotation ran
    expect((await post('CustB', now as string)).status).toBe(200)
  })

  it('a suspended tenant fails alone, with the reason; the others are done; its rotation is undone', async () => {
    await ensureTenantWebhooks({ api, secrets: store, tenants: TENANTS, ...spec() })
    const kept = await store.get('CustB')
    online.setState('CustB', 'Suspended')
    const results = await ensureTenantWebhooks({ api, secrets: store, tenants: TENANTS, ...spec(), rotate: true })
    const failed = results.find((r) => r.tenant === 'CustB')
    expect(failed).toMatchObject({ action: 'failed', status: 503 })
    expect(failed?.action === 'failed' && failed.reason).toMatch(/Suspended/)
    expect(
      results
        .filter((r) => r.action === 'updated')
        .map((r) => r.tenant)
        .sort(),
    ).toEqual(['CustA', 'CustC'])
    // The webhook still signs with the old secret, so the old one stays the tenant's secret.
    expect(await store.get('CustB')).toEqual(kept)
    expect(JSON.stringify(results)).not.toContain(kept[0])
  })

  it('a target that refuses the test event: SuperOffice does not save, the tenant is reported failed', async () => {
    const results = await ensureTenantWebhooks({
      api,
      secrets: store,
      tenants: ['CustA'],
      ...spec(),
      targetUrl: 'http://127.0.0.1:1/nowhere', // nothing listens there
    })
    expect(results[0]).toMatchObject({ tenant: 'CustA', action: 'failed', status: 400 })
    expect(hookOf('CustA')).toBeUndefined()
  })

  it('removeTenantWebhooks deletes the app webhook and forgets the secret: the old secret is refused from then on', async () => {
    await ensureTenantWebhooks({ api, secrets: store, tenants: TENANTS, ...spec() })
    const secret = (await store.get('CustC'))[0] as string
    const { removed } = await removeTenantWebhooks({ api, tenant: 'CustC', name: 'crm-sync', secrets: store })
    expect(removed).toHaveLength(1)
    expect(hookOf('CustC')).toBeUndefined()
    expect(await store.get('CustC')).toEqual([])
    expect((await store.tenants()).sort()).toEqual(['CustA', 'CustB'])
    expect((await post('CustC', secret)).status).toBe(401)
    expect(hookOf('CustA')).toBeDefined() // the others untouched
  })
})

describe('watchTenantWebhooks', () => {
  it('over several rounds restarts any tenant stopped by TooManyErrors with its down window; tenants added and removed between rounds; one failing tenant does not stop the others', async () => {
    await ensureTenantWebhooks({ api, secrets: store, tenants: TENANTS, ...spec() })
    const watched = ['CustA', 'CustB']
    const restarts: TenantWebhookRestart[] = []
    const errors: string[] = []
    const watchdog = watchTenantWebhooks({
      api,
      name: 'crm-sync',
      tenants: () => [...watched],
      intervalMs: 200,
      onRestart: (r) => void restarts.push(r),
      onError: (_, { tenant }) => void errors.push(tenant),
    })
    try {
      await until(() => watchdog.rounds >= 1, 'a first round')
      const stop = (tenant: string) => {
        const hook = hookOf(tenant)
        if (hook) hook.State = 'TooManyErrors'
      }
      stop('CustA')
      await until(() => restarts.some((r) => r.tenant === 'CustA'), 'CustA restarted')
      expect(hookOf('CustA')?.State).toBe('Active')
      const first = restarts.find((r) => r.tenant === 'CustA') as TenantWebhookRestart
      expect(first.restarted).toBe(true)
      expect(first.down.from).toBeInstanceOf(Date)
      expect((first.down.from as Date).getTime()).toBeLessThanOrEqual(first.down.to.getTime())
      // CustC joins, CustB leaves; CustB's stopped webhook is no longer this watchdog's business.
      watched.push('CustC')
      watched.splice(watched.indexOf('CustB'), 1)
      const rounds = watchdog.rounds
      await until(() => watchdog.rounds >= rounds + 2, 'two more rounds')
      stop('CustC')
      stop('CustB')
      await until(() => restarts.some((r) => r.tenant === 'CustC'), 'CustC restarted')
      // CustA suspended: its checks fail, reported, and the watchdog goes on with the others.
      online.setState('CustA', 'Suspended')
      await until(() => errors.includes('CustA'), 'CustA reported')
      stop('CustC')
      await until(() => restarts.filter((r) => r.tenant === 'CustC').length === 2, 'CustC restarted again')
      expect(hookOf('CustB')?.State).toBe('TooManyErrors')
      expect(restarts.some((r) => r.tenant === 'CustB')).toBe(false)
      expect(watchdog.rounds).toBeGreaterThanOrEqual(4)
    } finally {
      watchdog.stop()
      await watchdog.done
    }
    // Stopped: nothing more is called. Counted where calls start: a request sent just before the
    // stop may still reach the stand-in's log after done, on a busy machine.
    const calls = started
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    expect(started).toBe(calls)
  })

  it('with reconcile: the rows changed while a webhook was stopped are put into the pipeline after its restart', async () => {
    await ensureTenantWebhooks({ api, secrets: store, tenants: TENANTS, ...spec() })
    const receiving = createSuperOfficeWebhooks({ secret: 'unused', logger: false })
    const recovered: string[] = []
    receiving.on('sale.changed', (event, { reconciled }) => {
      if (reconciled) recovered.push(`${event.ContextIdentifier}/${event.PrimaryKey}`)
    })
    const restarts: TenantWebhookRestart[] = []
    const watchdog = watchTenantWebhooks({
      api,
      name: 'crm-sync',
      tenants: TENANTS,
      intervalMs: 300,
      reconcile: { webhooks: receiving, entities: ['sale'] },
      onRestart: (r) => void restarts.push(r),
    })
    try {
      await until(() => watchdog.rounds >= 1, 'a first round')
      const hook = hookOf('CustB')
      if (hook) hook.State = 'TooManyErrors'
      online.put('CustB', 'Sale', 42, { SaleId: 42 }) // changed while nothing was delivered
      online.put('CustA', 'Sale', 43, { SaleId: 43 }) // another tenant's: not CustB's business
      await until(() => restarts.length === 1, 'the restart')
      expect(restarts[0]?.reconciled).toMatchObject({ tenant: 'CustB', total: 1 })
      expect(recovered).toEqual(['CustB/42'])
    } finally {
      watchdog.stop()
      await watchdog.done
    }
  })

  it('spreads a round over the interval: the first tenant at once, the next only later; stop() ends it at once', async () => {
    await ensureTenantWebhooks({ api, secrets: store, tenants: TENANTS, ...spec() })
    const from = online.calls.length
    // Three tenants over 30 s: the first is checked at once, the next 10 s later.
    const watchdog = watchTenantWebhooks({ api, name: 'crm-sync', tenants: TENANTS, intervalMs: 30_000 })
    await until(() => online.calls.length > from, 'the first tenant checked')
    watchdog.stop()
    await watchdog.done // the wait for the next tenant ends with it
    expect(online.calls.slice(from).map((c) => c.path)).toEqual(['/CustA/api/v1/Webhook'])
    expect(watchdog.rounds).toBe(0)
  })
})
