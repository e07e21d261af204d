// 1,000 tenants: what fair share costs. 10,000 jobs, 10 for each of 1,000 tenants stored
// interleaved, on Redis and on PostgreSQL (BullMQ 6). Enqueue: the engine's bare `queue.add` of the
// same job against `inbox.enqueue` without fairness, with fairness: 'tenant' and with a cap of 2
// per tenant (32 in flight). Take: a bare BullMQ Worker with a no-op processor against the inbox's
// worker in the same three modes (concurrency 8, a no-op handler). Jobs per second, the median of
// ROUNDS interleaved rounds. Run: pnpm --filter bench run bench:tenants (JOBS=2000 for a shorter run)

import { type BullMQInboxOptions, createBullMQInbox } from '@superoffice-webhooks/bullmq'
import type { SuperOfficeInboxJob } from '@superoffice-webhooks/core'
import { inboxJobId } from '@superoffice-webhooks/core/adapter'
import * as BullMQ from 'bullmq'
import { typicalBody } from './bodies.ts'
import { startPostgres, startRedis } from './inbox.ts'

const TENANTS = 1000
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export interface TenantsRow {
  engine: 'Redis' | 'PostgreSQL'
  mode: string
  enqueuePerSecond: number
  takePerSecond: number
}

const jobOptions = {
  attempts: 12,
  backoff: { type: 'exponential' as const, delay: 15_000 },
  removeOnComplete: { age: 86_400 },
  removeOnFail: { age: 2_592_000 },
}

function jobs(count: number, run: string): SuperOfficeInboxJob[] {
  const body = typicalBody()
  return Array.from({ length: count }, (_, i) => {
    const tenant = `Cust${10_000 + (i % TENANTS)}`
    const eventId = `${run}-${i}`
    return {
      id: inboxJobId(tenant, eventId),
      body,
      event: 'sale.changed',
      kind: 'known',
      tenant,
      eventId,
      secretIndex: 0,
      retry: undefined,
      receivedAt: new Date().toISOString(),
    }
  })
}

async function inFlight(items: SuperOfficeInboxJob[], one: (job: SuperOfficeInboxJob) => Promise<unknown>) {
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < items.length) await one(items[next++] as SuperOfficeInboxJob)
    }),
  )
  return items.length / ((performance.now() - started) / 1000)
}

/** A bare BullMQ worker on the engine (PostgreSQL through BullMQ 6's backend, as the inbox runs it). */
async function bareWorker(
  engine: TenantsRow['engine'],
  url: string,
  queueName: string,
  processor: () => Promise<void>,
) {
  const bull = BullMQ as unknown as Record<string, unknown>
  if (engine === 'Redis') {
    const u = new URL(url)
    return new BullMQ.Worker(queueName, processor, {
      connection: { host: u.hostname, port: Number(u.port), maxRetriesPerRequest: null },
      concurrency: 8,
    })
  }
  const specifier = 'pg' // its types are not installed here; only Pool is used
  const pg = ((await import(specifier)) as { default: { Pool: new (o: object) => { end(): Promise<void> } } }).default
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    options: `-c search_path=${String(bull.DEFAULT_SCHEMA ?? 'bullmq')},public`,
  })
  type WorkerWithBackend = new (n: string, p: unknown, o: object, f: unknown) => BullMQ.Worker
  const worker = new (BullMQ.Worker as unknown as WorkerWithBackend)(
    queueName,
    processor,
    { connection: pool, concurrency: 8 },
    bull.createPostgresBackend,
  )
  worker.on('closed', () => void pool.end())
  return worker
}

async function oneMode(
  engine: TenantsRow['engine'],
  url: string,
  mode: string,
  fairness: BullMQInboxOptions['fairness'] | 'bare',
  count: number,
): Promise<TenantsRow> {
  const queueName = `tenants-${mode.replace(/\W+/g, '-')}`
  const inbox = createBullMQInbox({
    connection: url,
    queueName,
    logger: false,
    ...(fairness && fairness !== 'bare' ? { fairness } : {}),
  })
  await inbox.ready()
  const items = jobs(count, queueName)
  const queue = inbox.queue as BullMQ.Queue
  const enqueuePerSecond =
    fairness === 'bare'
      ? await inFlight(items, (job) => queue.add(job.event, job, { ...jobOptions, jobId: job.id as string }))
      : await inFlight(items, (job) => inbox.enqueue(job))
  let done = 0
  const started = performance.now()
  const processor = async () => {
    done++
  }
  const worker =
    fairness === 'bare'
      ? await bareWorker(engine, url, queueName, processor)
      : inbox.work(processor, { concurrency: 8 })
  while (done < count) await sleep(10)
  const takePerSecond = count / ((performance.now() - started) / 1000)
  await worker.close()
  await queue.obliterate({ force: true }).catch(() => {})
  await inbox.close()
  return { engine, mode, enqueuePerSecond, takePerSecond }
}

export async function benchTenants(count = Number(process.env.JOBS ?? 10_000)): Promise<TenantsRow[]> {
  const rows: TenantsRow[] = []
  const modes: [string, BullMQInboxOptions['fairness'] | 'bare'][] = [
    ['limit: bare queue.add / Worker', 'bare'],
    ['inbox, first in first out', undefined],
    ["inbox, fairness: 'tenant'", 'tenant'],
    ['inbox, fairness with a cap of 2', { by: 'tenant', concurrency: 2 }],
  ]
  // A warm-up of each mode first (discarded), so the first mode measured does not pay for the JIT.
  // Then ROUNDS rounds (default 3), the modes interleaved in each, and each mode's median: a
  // machine busy for a moment touches one round of every mode, not all of one.
  const rounds = Number(process.env.ROUNDS ?? 3)
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0
  const run = async (engine: TenantsRow['engine'], url: string) => {
    for (const [mode, fairness] of modes) await oneMode(engine, url, `warm-${mode}`, fairness, Math.ceil(count / 5))
    const results = new Map<string, TenantsRow[]>()
    for (let round = 1; round <= rounds; round++) {
      for (const [mode, fairness] of modes) {
        const row = await oneMode(engine, url, `${mode} ${round}`, fairness, count)
        results.set(mode, [...(results.get(mode) ?? []), { ...row, mode }])
      }
    }
    for (const [mode, of] of results) {
      rows.push({
        engine,
        mode,
        enqueuePerSecond: median(of.map((r) => r.enqueuePerSecond)),
        takePerSecond: median(of.map((r) => r.takePerSecond)),
      })
    }
  }
  const redis = await startRedis()
  try {
    await run('Redis', redis.url)
  } finally {
    redis.stop()
  }
  const pg = await startPostgres()
  if (pg) {
    try {
      await run('PostgreSQL', pg.url)
    } finally {
      pg.stop()
    }
  }
  return rows
}

export function formatTenants(rows: TenantsRow[], count = Number(process.env.JOBS ?? 10_000)): string {
  return [
    `| ${count.toLocaleString('en')} jobs of ${TENANTS.toLocaleString('en')} tenants | engine | enqueue (jobs/s, 32 in flight) | take (jobs/s, concurrency 8) |`,
    '|---|---|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.mode} | ${r.engine} | ${Math.round(r.enqueuePerSecond).toLocaleString('en')} | ${Math.round(r.takePerSecond).toLocaleString('en')} |`,
    ),
  ].join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(formatTenants(await benchTenants()))
  process.exit(0)
}
