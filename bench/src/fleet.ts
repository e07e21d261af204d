// Every tenant's webhook, measured against the Online stand-in over real HTTP:
// 1. reconcile: rows per second recovered into a receiver (no inbox, a no-op handler), with the
//    stand-in unlimited and at a rate limit of 10 calls per second per tenant (429 beyond);
// 2. the fleet watchdog over 1,000 tenants: API calls per tenant per round, and how the round's
//    calls spread over the interval (the busiest second against all-at-once).
// Run: pnpm --filter bench run bench:fleet (ROWS=5000 TENANTS=1000 INTERVAL_MS=20000 by default)
import { generateKeyPairSync } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { watchTenantWebhooks } from '@superoffice-webhooks/admin'
import { createSuperOfficeApi, reconcile } from '@superoffice-webhooks/api'
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { startSuperOfficeOnline } from '@superoffice-webhooks/testing'

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })

export interface ReconcileRow {
  limit: string
  rows: number
  seconds: number
  rowsPerSecond: number
  listCalls: number
  throttled: number
  pageSize: number
}

async function reconcileRun(
  rows: number,
  rateLimitPerSecond: number | undefined,
  pageSize: number,
): Promise<ReconcileRow> {
  const online = await startSuperOfficeOnline({
    appPublicKey: publicKey,
    tenants: { Cust12345: {} },
    ...(rateLimitPerSecond ? { rateLimitPerSecond } : {}),
  })
  try {
    const since = new Date(Date.now() - 60 * 60_000)
    for (let id = 1; id <= rows; id++) {
      online.put('Cust12345', 'Sale', id, { SaleId: id }, { updatedAt: new Date(since.getTime() + id) })
    }
    const api = createSuperOfficeApi({
      environment: { authority: online.authority },
      applicationToken: online.applicationToken,
      privateKey,
      systemUserToken: 'Cust12345-system-user',
    })
    const webhooks = createSuperOfficeWebhooks({ secret: 'unused', logger: false })
    webhooks.on('sale.changed', () => {})
    await api.request('Cust12345', 'GET', '/Sale/1') // the ticket first, as a running app has it
    const started = performance.now()
    const result = await reconcile({ api, webhooks, tenant: 'Cust12345', since, entities: ['sale'], pageSize })
    const seconds = (performance.now() - started) / 1000
    return {
      limit: rateLimitPerSecond ? `${rateLimitPerSecond} calls/s per tenant` : 'none',
      rows: result.total,
      seconds,
      rowsPerSecond: result.total / seconds,
      listCalls: online.calls.filter((c) => c.path === '/Cust12345/api/v1/Sale').length,
      throttled: online.calls.filter((c) => c.status === 429).length,
      pageSize,
    }
  } finally {
    await online.close()
  }
}

export interface WatchdogRow {
  tenants: number
  intervalSeconds: number
  webhookCallsPerTenant: number
  authorityCallsPerTenant: number
  busiestSecond: number
  roundSeconds: number
}

async function watchdogRun(tenants: number, intervalMs: number): Promise<WatchdogRow> {
  const names = Array.from({ length: tenants }, (_, i) => `Cust${10_000 + i}`)
  // Every tenant's Webhook API: no webhook stopped (the common case, and the cost that recurs).
  const seconds = new Map<number, number>()
  const webhookApi = createServer((req, res) => {
    const second = Math.floor(performance.now() / 1000)
    seconds.set(second, (seconds.get(second) ?? 0) + 1)
    res.writeHead(200, { 'content-type': 'application/json' }).end(req.url?.includes('statusFilter') ? '[]' : '[]')
  })
  await new Promise<void>((resolve) => webhookApi.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(webhookApi.address() as AddressInfo).port}`
  const online = await startSuperOfficeOnline({
    appPublicKey: publicKey,
    tenants: Object.fromEntries(names.map((t) => [t, {}])),
    forward: () => ({ baseUrl: base }),
  })
  try {
    const api = createSuperOfficeApi({
      environment: { authority: online.authority },
      applicationToken: online.applicationToken,
      privateKey,
      systemUserToken: (tenant) => `${tenant}-system-user`,
    })
    const watchdog = watchTenantWebhooks({ api, tenants: names, name: 'crm-sync', intervalMs })
    const started = performance.now()
    while (watchdog.rounds < 2) await new Promise((resolve) => setTimeout(resolve, 100))
    const roundSeconds = (performance.now() - started) / 2000
    watchdog.stop()
    await watchdog.done
    const webhookCalls = online.calls.filter((c) => c.path.endsWith('/api/v1/Webhook')).length
    const authorityCalls = online.calls.filter((c) => c.server === 'authority').length
    return {
      tenants,
      intervalSeconds: intervalMs / 1000,
      webhookCallsPerTenant: webhookCalls / tenants / 2,
      authorityCallsPerTenant: authorityCalls / tenants,
      busiestSecond: Math.max(...seconds.values()),
      roundSeconds,
    }
  } finally {
    await online.close()
    webhookApi.closeAllConnections()
    await new Promise((resolve) => webhookApi.close(resolve))
  }
}

export async function benchFleet() {
  const rows = Number(process.env.ROWS ?? 5000)
  const tenants = Number(process.env.TENANTS ?? 1000)
  return {
    reconcile: [
      await reconcileRun(rows, undefined, 200),
      await reconcileRun(rows, 10, 200),
      await reconcileRun(rows, 10, 50),
    ],
    watchdog: await watchdogRun(tenants, Number(process.env.INTERVAL_MS ?? 20_000)),
  }
}

export function formatFleet(result: Awaited<ReturnType<typeof benchFleet>>): string {
  const w = result.watchdog
  return [
    '| reconcile: rows changed in the window | page | rows | seconds | rows/s | list calls | 429s |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...result.reconcile.map(
      (r) =>
        `| stand-in rate limit: ${r.limit} | ${r.pageSize} | ${r.rows} | ${r.seconds.toFixed(2)} | ${Math.round(r.rowsPerSecond).toLocaleString('en')} | ${r.listCalls} | ${r.throttled} |`,
    ),
    '',
    '| fleet watchdog | tenants | interval (s) | Webhook API calls per tenant per round | authority calls per tenant (two rounds) | busiest second (calls) | round (s) |',
    '|---|---:|---:|---:|---:|---:|---:|',
    `| no webhook stopped | ${w.tenants} | ${w.intervalSeconds} | ${w.webhookCallsPerTenant.toFixed(2)} | ${w.authorityCallsPerTenant.toFixed(2)} | ${w.busiestSecond} | ${w.roundSeconds.toFixed(1)} |`,
  ].join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(formatFleet(await benchFleet()))
  process.exit(0)
}
