// One throttle per tenant, shared in PostgreSQL (issue 30): two app processes, each with an API
// client of concurrency 4, call one tenant of the Online stand-in (calls take 150 ms, so they
// overlap); sharing the throttle, the stand-in never sees more than its 2 calls at once.
import { fileURLToPath } from 'node:url'
import { runThrottledProcesses } from '@superoffice-webhooks/test-utils/contract'
import { hasPostgres, startPostgresServer, type TestPostgresServer } from '@superoffice-webhooks/test-utils/servers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const fixture = fileURLToPath(new URL('./fixtures/throttled-calls.mjs', import.meta.url))

describe.runIf(hasPostgres)('createSharedTenantThrottle on PostgreSQL', () => {
  let server: TestPostgresServer
  beforeAll(async () => {
    server = await startPostgresServer()
  })
  afterAll(async () => {
    await server?.stop()
  })

  it('two processes, 2 calls at once for the tenant in all, its tables made by both at once', async () => {
    const result = await runThrottledProcesses(fixture, { POSTGRES_URL: server.url })
    expect(result.shared.peak).toBeLessThanOrEqual(2)
    expect(result.shared.calls).toBe(40)
    expect(result.alone.peak).toBeGreaterThan(2)
  })
})
