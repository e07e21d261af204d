// After the 200, measured: a mass update (5,000 contact.changed over 200 contacts, sent as
// SuperOffice's 4 senders send: each waits for its answer) through the BullMQ inbox with and
// without coalescing; and ordering (2,000 shuffled changes over 20 rows, 8 jobs at a time, random
// handler latency) with and without orderBy. Run: pnpm --filter bench run bench:after-200
import { type BullMQInboxOptions, createBullMQInbox } from '@superoffice-webhooks/bullmq'
import { createSuperOfficeWebhooks, signPayload } from '@superoffice-webhooks/core'
import { startRedis } from './inbox.ts'

const secret = 'after-200-bench'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const stamp = (i: number) => new Date(Date.UTC(2026, 10, 25, 8) + i).toISOString().replace('Z', '0000Z')
let counter = 0
const event = (name: string, key: number, i: number) => ({
  EventId: `00000000-0000-4000-8000-${String(++counter).padStart(12, '0')}`,
  Timestamp: stamp(i),
  Changes: ['name', 'updated'],
  Event: name,
  PrimaryKey: key,
  Entity: name.slice(0, name.indexOf('.')),
  ContextIdentifier: 'Cust1',
  ChangedByAssociateId: 7,
  WebhookName: 'bench',
})

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out')
    await sleep(20)
  }
}

/** A receiver with a BullMQ inbox of its own queue on the bench's redis-server. */
function receiver(url: string, queueName: string, extra: Partial<BullMQInboxOptions>) {
  const inbox = createBullMQInbox({ connection: url, queueName, logger: false, ...extra })
  return { inbox, webhooks: createSuperOfficeWebhooks({ secret, inbox, logger: false }) }
}

export interface MassUpdateRow {
  mode: string
  handlerRuns: number
  secondsToLastRow: number
  failed: number
}

async function massUpdate(url: string, coalesce: boolean): Promise<MassUpdateRow> {
  const { inbox, webhooks } = receiver(url, `mass-${coalesce}`, {
    ...(coalesce ? { coalesce: { delayMs: 2000, maxDelayMs: 30_000 } } : {}),
  })
  const last = new Map<number, string>()
  const seen = new Map<number, string>()
  let runs = 0
  webhooks.on('contact.changed', async (e) => {
    runs++
    await sleep(20) // a fetch of the contact and a write downstream
    seen.set(e.PrimaryKey, e.Timestamp)
  })
  await webhooks.start({ concurrency: 8 })
  const started = performance.now()
  let next = 0
  const sender = async () => {
    for (let i = next++; i < 5000; i = next++) {
      const body = JSON.stringify(event('contact.changed', 1 + (i % 200), i))
      last.set(1 + (i % 200), stamp(i))
      await webhooks.handle({ rawBody: body, headers: { 'x-superoffice-signature': signPayload(body, secret) } })
    }
  }
  await Promise.all([sender(), sender(), sender(), sender()])
  await until(() => [...last].every(([key, timestamp]) => seen.get(key) === timestamp), 300_000)
  const seconds = (performance.now() - started) / 1000
  await sleep(coalesce ? 2500 : 200)
  const failed = (await inbox.stats()).failed
  await webhooks.close()
  return {
    mode: coalesce ? 'coalesce (2 s quiet, 30 s at most)' : 'no coalescing',
    handlerRuns: runs,
    secondsToLastRow: seconds,
    failed,
  }
}

export interface OrderRow {
  mode: string
  overlaps: number
  staleRows: number
  seconds: number
}

async function ordering(url: string, ordered: boolean): Promise<OrderRow> {
  const { webhooks } = receiver(url, `order-${ordered}`, ordered ? { orderBy: 'entity' } : {})
  const active = new Map<number, number>()
  const written = new Map<number, string>()
  let overlaps = 0
  let handled = 0
  webhooks.on('sale.changed', async (e, context) => {
    active.set(e.PrimaryKey, (active.get(e.PrimaryKey) ?? 0) + 1)
    if ((active.get(e.PrimaryKey) ?? 0) > 1) overlaps++
    const before = written.get(e.PrimaryKey)
    await sleep(Math.random() * 20)
    if (context.isNewerThan(before)) written.set(e.PrimaryKey, e.Timestamp)
    active.set(e.PrimaryKey, (active.get(e.PrimaryKey) ?? 1) - 1)
    handled++
  })
  const newest = new Map<number, string>()
  const events = Array.from({ length: 2000 }, (_, i) => {
    newest.set(1 + (i % 20), stamp(i))
    return event('sale.changed', 1 + (i % 20), i)
  })
  for (let i = events.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[events[i], events[j]] = [events[j] as (typeof events)[number], events[i] as (typeof events)[number]]
  }
  for (const e of events) {
    const body = JSON.stringify(e)
    await webhooks.handle({ rawBody: body, headers: { 'x-superoffice-signature': signPayload(body, secret) } })
  }
  const started = performance.now()
  await webhooks.start({ concurrency: 8 })
  await until(() => handled === 2000, 300_000)
  const seconds = (performance.now() - started) / 1000
  await webhooks.close()
  const staleRows = [...newest].filter(([key, timestamp]) => written.get(key) !== timestamp).length
  return { mode: ordered ? "orderBy: 'entity'" : 'no ordering', overlaps, staleRows, seconds }
}

export async function benchAfter200(): Promise<{ mass: MassUpdateRow[]; order: OrderRow[] }> {
  const redis = await startRedis()
  try {
    const mass = [await massUpdate(redis.url, false), await massUpdate(redis.url, true)]
    const order = [await ordering(redis.url, false), await ordering(redis.url, true)]
    return { mass, order }
  } finally {
    redis.stop()
  }
}

export function formatAfter200({ mass, order }: Awaited<ReturnType<typeof benchAfter200>>): string {
  return [
    '| mass update: 5,000 contact.changed over 200 contacts | handler runs | seconds to the last row handled | failed jobs |',
    '|---|---:|---:|---:|',
    ...mass.map((r) => `| ${r.mode} | ${r.handlerRuns} | ${r.secondsToLastRow.toFixed(1)} | ${r.failed} |`),
    '',
    '| ordering: 2,000 shuffled changes over 20 rows, 8 at a time | rows run twice at once | rows left with a stale write | seconds |',
    '|---|---:|---:|---:|',
    ...order.map((r) => `| ${r.mode} | ${r.overlaps} | ${r.staleRows} | ${r.seconds.toFixed(1)} |`),
  ].join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(formatAfter200(await benchAfter200()))
  process.exit(0)
}
