// The tenant status receiver (@superoffice-webhooks/api) keeping a real BullMQ inbox in step with
// each tenant's state (issue 29): notifications signed by the Online stand-in, over real HTTP.
import { generateKeyPairSync } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createSuperOfficeTenantStatus, type SuperOfficeTenantStatus } from '@superoffice-webhooks/api'
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { hasRedis, startRedisServer, type TestRedisServer } from '@superoffice-webhooks/test-utils/servers'
import {
  createTestEvent,
  type SuperOfficeOnline,
  signedPayload,
  startSuperOfficeOnline,
} from '@superoffice-webhooks/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createBullMQInbox } from '../src/index.js'

const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })

let online: SuperOfficeOnline
let server: Server | undefined
beforeEach(async () => {
  online = await startSuperOfficeOnline({ appPublicKey: publicKey, tenants: { Cust12345: {}, Cust999: {} } })
})
afterEach(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)))
  server = undefined
  await online.close()
})

async function serve(receiver: SuperOfficeTenantStatus): Promise<string> {
  server = createServer(async (req, res) => {
    const answer = await receiver.receive({
      method: req.method ?? 'GET',
      headers: req.headers,
      url: req.url ?? '/',
      body: { node: req },
    })
    res.writeHead(answer.status, answer.headers).end(JSON.stringify(answer.body))
  })
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/superoffice/tenant-status`
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

describe.runIf(hasRedis)('the tenant status keeps the inbox in step (issue 29)', () => {
  let redis: TestRedisServer
  beforeEach(async () => {
    redis = await startRedisServer()
  })
  afterEach(async () => {
    await redis.stop()
  })

  it('Suspend pauses the tenant in the inbox, Resume resumes it, Delete purges it with purgeOnDelete; another tenant untouched', async () => {
    const inbox = createBullMQInbox({ connection: redis.url, logger: false })
    try {
      const status = createSuperOfficeTenantStatus({
        environment: { authority: online.authority },
        applicationId: online.applicationId,
        inbox,
        purgeOnDelete: true,
        logger: false,
      })
      const url = await serve(status)
      expect((await post(url, await online.notification('Cust12345', 'Suspend'))).status).toBe(200)
      expect(await inbox.isTenantPaused('Cust12345')).toBe(true)
      expect(await inbox.isTenantPaused('Cust999')).toBe(false)
      expect((await post(url, await online.notification('Cust12345', 'Resume'))).status).toBe(200)
      expect(await inbox.isTenantPaused('Cust12345')).toBe(false)

      // A stored job of the tenant, then Delete: purged.
      const webhooks = createSuperOfficeWebhooks({ secret: 's', inbox, logger: false })
      const { body, headers } = signedPayload(createTestEvent('sale.sold', { ContextIdentifier: 'Cust12345' }), {
        secret: 's',
      })
      expect((await webhooks.handle({ rawBody: body, headers })).status).toBe(200)
      expect((await inbox.stats()).waiting).toBe(1)
      expect((await post(url, await online.notification('Cust12345', 'Delete'))).status).toBe(200)
      expect((await inbox.stats()).waiting).toBe(0)
    } finally {
      await inbox.close()
    }
  })

  it('an inbox that cannot be updated: 500 inbox_unavailable, and SuperOffice’s retry of the same notification is handled', async () => {
    const inbox = createBullMQInbox({ connection: redis.url, logger: false, enqueueTimeoutMs: 500 })
    try {
      await inbox.ready()
      const status = createSuperOfficeTenantStatus({
        environment: { authority: online.authority },
        applicationId: online.applicationId,
        inbox,
        logger: false,
      })
      let handled = 0
      status.on('Suspend', () => {
        handled++
      })
      const url = await serve(status)
      const suspend = await online.notification('Cust12345', 'Suspend')
      redis.pause()
      const refused = await post(url, suspend)
      redis.resume()
      expect([refused.status, ((await refused.json()) as { error: string }).error]).toEqual([500, 'inbox_unavailable'])
      expect(handled).toBe(0)
      expect((await post(url, suspend)).status).toBe(200)
      expect(await inbox.isTenantPaused('Cust12345')).toBe(true)
      expect(handled).toBe(1)
    } finally {
      redis.resume()
      await inbox.close()
    }
  })
})
