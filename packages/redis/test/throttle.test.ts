// One throttle per tenant, shared (issue 30): two app processes, each with an API client of
// concurrency 4, call one tenant of the Online stand-in (calls take 150 ms, so they overlap); with
// the throttle shared in Redis the stand-in never sees more than its 2 calls at once. A 429 one
// process meets holds the other back too.

import { generateKeyPairSync } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createSharedTenantThrottle, createSuperOfficeApi } from '@superoffice-webhooks/api'
import { runThrottledProcesses } from '@superoffice-webhooks/test-utils/contract'
import { hasRedis, startRedisServer, type TestRedisServer } from '@superoffice-webhooks/test-utils/servers'
import { startSuperOfficeOnline } from '@superoffice-webhooks/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const fixture = fileURLToPath(new URL('./fixtures/throttled-calls.mjs', import.meta.url))

describe.runIf(hasRedis)('createSharedTenantThrottle on Redis', () => {
  let server: TestRedisServer
  beforeAll(async () => {
    server = await startRedisServer()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('two processes, 2 calls at once for the tenant in all; each process alone would make 4', async () => {
    const result = await runThrottledProcesses(fixture, { REDIS_URL: server.url })
    expect(result.shared.peak).toBeLessThanOrEqual(2)
    expect(result.shared.calls).toBe(40)
    expect(result.alone.peak).toBeGreaterThan(2) // the same processes without the shared throttle
  })

  it('a 429 one client meets holds the tenant back in the other too: its calls wait the Retry-After instead of meeting 429s', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const online = await startSuperOfficeOnline({ appPublicKey: publicKey, tenants: { CustA: {}, CustB: {} } })
    const clients = [new Redis(server.url), new Redis(server.url)]
    try {
      const [first, second] = clients.map((redis) =>
        createSuperOfficeApi({
          environment: { authority: online.authority },
          applicationToken: online.applicationToken,
          privateKey,
          systemUserToken: (tenant) => `${tenant}-system-user`,
          throttle: createSharedTenantThrottle({ redis, concurrency: 2, perSecond: 100, keyPrefix: 'held' }),
        }),
      ) as [ReturnType<typeof createSuperOfficeApi>, ReturnType<typeof createSuperOfficeApi>]
      await first.request('CustA', 'GET', '/Sale/1') // tickets in hand
      await second.request('CustA', 'GET', '/Sale/1')
      online.throttleTenant('CustA', 2)
      const from = online.calls.length
      const waited = first.request('CustA', 'GET', '/Sale/2') // meets the 429, tells the throttle
      await new Promise((resolve) => setTimeout(resolve, 300))
      await Promise.all([waited, ...[3, 4, 5].map((id) => second.request('CustA', 'GET', `/Sale/${id}`))])
      const answered = online.calls.slice(from).filter((c) => c.path.startsWith('/CustA/'))
      expect(answered.filter((c) => c.status === 429)).toHaveLength(1) // the other client never met one
      expect(answered.filter((c) => c.status === 200)).toHaveLength(4)
      // Another tenant is not held back.
      await second.request('CustB', 'GET', '/Sale/1')
    } finally {
      for (const client of clients) client.disconnect()
      await online.close()
    }
  })
})
