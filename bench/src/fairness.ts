// Many tenants, one inbox, measured: one tenant floods the inbox with FLOOD contact.changed (a
// mass update; default 50,000) while another sends a sale.sold every 100 ms, through a BullMQ
// inbox on a real redis-server (a worker of concurrency 4, handlers of 4 ms), without and with
// fairness: 'tenant'. Reports the quiet tenant's wait (stored to handler start) and the flood's
// drain time. Run: pnpm --filter bench run bench:fairness (FLOOD=10000 for a shorter run)
import { type BullMQInboxOptions, createBullMQInbox } from '@superoffice-webhooks/bullmq'
import { createSuperOfficeWebhooks, signPayload } from '@superoffice-webhooks/core'
import { startRedis } from './inbox.ts'

const secret = 'fairness-bench'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
let counter = 0
const body = (name: string, tenant: string, key: number) =>
  JSON.stringify({
    EventId: `00000000-0000-4000-8000-${String(++counter).padStart(12, '0')}`,
    Timestamp: new Date().toISOString().replace('Z', '0000Z'),
    Changes: ['name'],
    Event: name,
    PrimaryKey: key,
    Entity: name.slice(0, name.indexOf('.')),
    ContextIdentifier: tenant,
    ChangedByAssociateId: 7,
    WebhookName: 'bench',
  })

export interface FairnessRow {
  mode: string
  quietEvents: number
  waitP50Ms: number
  waitP95Ms: number
  waitMaxMs: number
  floodDrainSeconds: number
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0

async function noisyNeighbour(url: string, flood: number, fairness: boolean): Promise<FairnessRow> {
  const extra: Partial<BullMQInboxOptions> = fairness ? { fairness: 'tenant' } : {}
  const inbox = createBullMQInbox({ connection: url, queueName: `noisy-${fairness}`, logger: false, ...extra })
  const webhooks = createSuperOfficeWebhooks({ secret, inbox, logger: false })
  const sent = new Map<number, number>()
  const waits: number[] = []
  let floodDone = 0
  let floodLastAt = 0
  webhooks.on('contact.changed', async () => {
    await sleep(4)
    floodDone++
    floodLastAt = performance.now()
  })
  webhooks.on('sale.sold', async (event) => {
    const at = sent.get(event.PrimaryKey)
    if (at !== undefined) waits.push(performance.now() - at)
    await sleep(4)
  })
  const deliver = async (text: string) => {
    const answer = await webhooks.handle({
      rawBody: text,
      headers: { 'x-superoffice-signature': signPayload(text, secret) },
    })
    if (answer.status !== 200) throw new Error(`answered ${answer.status}`)
  }
  // The flood is stored first (a mass update lands in seconds); then the worker starts and the
  // quiet tenant sends a sale.sold every 100 ms until the flood has drained.
  for (let i = 0; i < flood; i += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, flood - i) }, (_, j) =>
        deliver(body('contact.changed', 'CustFlood', 1 + ((i + j) % 500))),
      ),
    )
  }
  const started = performance.now()
  await webhooks.start({ concurrency: 4 })
  let key = 0
  while (floodDone < flood) {
    key++
    sent.set(key, performance.now())
    await deliver(body('sale.sold', 'CustQuiet', key))
    await sleep(100)
  }
  while (waits.length < key) await sleep(20)
  await webhooks.close()
  const sorted = [...waits].sort((a, b) => a - b)
  return {
    mode: fairness ? "fairness: 'tenant'" : 'first in, first out',
    quietEvents: waits.length,
    waitP50Ms: quantile(sorted, 0.5),
    waitP95Ms: quantile(sorted, 0.95),
    waitMaxMs: sorted.at(-1) ?? 0,
    floodDrainSeconds: (floodLastAt - started) / 1000,
  }
}

export async function benchFairness(flood = Number(process.env.FLOOD ?? 50_000)): Promise<FairnessRow[]> {
  const redis = await startRedis()
  try {
    return [await noisyNeighbour(redis.url, flood, false), await noisyNeighbour(redis.url, flood, true)]
  } finally {
    redis.stop()
  }
}

export function formatFairness(rows: FairnessRow[], flood = Number(process.env.FLOOD ?? 50_000)): string {
  return [
    `| noisy neighbour: ${flood.toLocaleString('en')} contact.changed from one tenant, a sale.sold every 100 ms from another | quiet events | wait p50 (ms) | p95 | max | flood drained (s) |`,
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.mode} | ${r.quietEvents} | ${r.waitP50Ms.toFixed(0)} | ${r.waitP95Ms.toFixed(0)} | ${r.waitMaxMs.toFixed(0)} | ${r.floodDrainSeconds.toFixed(1)} |`,
    ),
  ].join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(formatFairness(await benchFairness()))
  process.exit(0)
}
