// The inbox's cost on each engine: answer latency (p50/p99) and events/s through `handle` with a
// BullMQ inbox, against the engine's own limit measured in the same run (a bare `queue.add` of
// the same job on the same server) and the in-memory pipeline; and events/s one worker gets
// through. PostgreSQL needs BullMQ 6 (`pnpm bench` loads it through src/bullmq6.ts).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BullMQInbox, createBullMQInbox } from '@superoffice-webhooks/bullmq'
import { createSuperOfficeWebhooks, type SuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { inboxJobId } from '@superoffice-webhooks/core/adapter'
import { SECRET, signedPool, typicalBody } from './bodies.ts'

export interface InboxRow {
  engine: string
  name: string
  p50Micros: number
  p99Micros: number
  eventsPerSecond: number
}

/** A throw-away redis-server on a free loopback port (the bench runs on Node's type stripping, so it
 * cannot load the test helpers, whose imports name .js files). */
export async function startRedis(): Promise<{ url: string; stop(): void }> {
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  )
  for (let i = 0; i < 100; i++) {
    if (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG') break
    await new Promise((r) => setTimeout(r, 50))
  }
  return { url: `redis://127.0.0.1:${port}`, stop: () => void child.kill('SIGKILL') }
}

/** A throw-away PostgreSQL (Debian's server; as root it runs as the postgres user). */
export async function startPostgres(): Promise<{ url: string; stop(): void } | undefined> {
  const version = readdirSync('/usr/lib/postgresql', { withFileTypes: true }).find((d) => /^\d+$/.test(d.name))?.name
  if (!version) return undefined
  const bin = `/usr/lib/postgresql/${version}/bin`
  const user: { uid?: number; gid?: number } = {}
  if (process.getuid?.() === 0) {
    user.uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim())
    user.gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim())
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-pg-'))
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid as number)
  spawnSync(`${bin}/initdb`, ['-D', `${dir}/data`, '-A', 'trust', '-U', 'postgres', '--no-sync'], { ...user })
  const port = await freePort()
  // Durable as a production server would be (fsync on), unlike the test servers.
  const child = spawn(`${bin}/postgres`, ['-D', `${dir}/data`, '-p', String(port), '-h', '127.0.0.1', '-k', dir], {
    ...user,
    stdio: 'ignore',
  })
  for (let i = 0; i < 200; i++) {
    if (spawnSync(`${bin}/pg_isready`, ['-h', '127.0.0.1', '-p', String(port)]).status === 0) break
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => {
      child.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function freePort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0

/** p50/p99 of `one` a call at a time (as SuperOffice's sender threads wait), then events/s with 32 in flight. */
async function timed(name: string, one: () => Promise<number>, events: number): Promise<InboxRow> {
  for (let i = 0; i < 200; i++) await one() // warm-up
  const latencies: number[] = []
  for (let i = 0; i < events; i++) latencies.push(await one())
  latencies.sort((a, b) => a - b)
  const started = performance.now()
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      for (let i = 0; i < events / 32; i++) await one()
    }),
  )
  return {
    engine: '',
    name,
    p50Micros: percentile(latencies, 0.5),
    p99Micros: percentile(latencies, 0.99),
    eventsPerSecond: events / ((performance.now() - started) / 1000),
  }
}

function measure(name: string, webhooks: SuperOfficeWebhooks, events: number): Promise<InboxRow> {
  const pool = signedPool(typicalBody, events * 2)
  let next = 0
  return timed(
    name,
    async () => {
      const { body, signature } = pool[next++ % pool.length] as { body: Buffer; signature: string }
      const started = performance.now()
      const answer = await webhooks.handle({ rawBody: body, headers: { 'x-superoffice-signature': signature } })
      if (answer.status !== 200) throw new Error(`${name}: answered ${answer.status}`)
      return (performance.now() - started) * 1000
    },
    events,
  )
}

/**
 * The engine's limit: a bare BullMQ `queue.add` of the same job (same body, options and id shape)
 * on the same server, one at a time, then 32 in flight, as `measure` does.
 */
function measureBareAdd(inbox: BullMQInbox, events: number): Promise<InboxRow> {
  const queue = inbox.queue
  if (!queue) throw new Error('the inbox is not open')
  const pool = signedPool(typicalBody, events * 2)
  let next = 0
  const one = async () => {
    const { body } = pool[next++ % pool.length] as { body: Buffer }
    const eventId = `bare-${next}-${Math.random()}`
    const job = { id: inboxJobId('Cust12345', eventId), body: body.toString('utf8'), event: 'sale.sold' }
    const started = performance.now()
    await queue.add('sale.sold', job, {
      jobId: job.id,
      attempts: 12,
      backoff: { type: 'exponential', delay: 15_000 },
      removeOnComplete: { age: 86_400 },
      removeOnFail: { age: 2_592_000 },
    })
    return (performance.now() - started) * 1000
  }
  return timed('limit: bare queue.add of the same job', one, events)
}

export interface EngineResult {
  engine: 'Redis' | 'PostgreSQL'
  rows: InboxRow[]
  worker: { concurrency: number; eventsPerSecond: number }[]
}

async function benchEngine(engine: EngineResult['engine'], connection: string, events: number): Promise<EngineResult> {
  const inbox = createBullMQInbox({ connection, queueName: 'bench', logger: false })
  await inbox.ready()
  const queued = createSuperOfficeWebhooks({ secret: SECRET, logger: false, inbox })
  const limit = await measureBareAdd(inbox, events)
  await inbox.queue?.obliterate({ force: true })
  const through = await measure('BullMQ inbox (answer once the job is stored)', queued, events)
  const rows = [limit, through].map((row) => ({ ...row, engine }))
  const worker: EngineResult['worker'] = []
  for (const concurrency of [1, 10]) {
    await inbox.queue?.obliterate({ force: true })
    const pool = signedPool(typicalBody, events)
    for (const { body, signature } of pool) {
      await queued.handle({ rawBody: body, headers: { 'x-superoffice-signature': signature } })
    }
    const handlers = createSuperOfficeWebhooks({ secret: SECRET, logger: false })
    let done = 0
    handlers.onAny(() => {
      done++
    })
    const started = performance.now()
    const running = inbox.work(handlers, { concurrency })
    while (done < events) await new Promise((r) => setTimeout(r, 20))
    const seconds = (performance.now() - started) / 1000
    await running.close()
    worker.push({ concurrency, eventsPerSecond: events / seconds })
  }
  await inbox.close()
  return { engine, rows, worker }
}

export async function benchInbox(options: { events?: number; engines?: EngineResult['engine'][] } = {}): Promise<{
  memory: InboxRow
  engines: EngineResult[]
  skipped: string[]
}> {
  const events = options.events ?? 5000
  const wanted = options.engines ?? ['Redis', 'PostgreSQL']
  const memoryReceiver = createSuperOfficeWebhooks({ secret: SECRET, logger: false })
  memoryReceiver.onAny(() => {})
  const memory = {
    ...(await measure('in-memory pipeline (handlers inline, no-op)', memoryReceiver, events)),
    engine: '-',
  }
  const engines: EngineResult[] = []
  const skipped: string[] = []
  if (wanted.includes('Redis')) {
    const redis = await startRedis()
    try {
      engines.push(await benchEngine('Redis', redis.url, events))
    } finally {
      redis.stop()
    }
  }
  if (wanted.includes('PostgreSQL')) {
    const bullmq = (await import('bullmq')) as Record<string, unknown>
    const postgres = typeof bullmq.createPostgresBackend === 'function' ? await startPostgres() : undefined
    if (!postgres) skipped.push("PostgreSQL (needs BullMQ 6 and Debian's postgresql; run through `pnpm bench`)")
    else {
      try {
        engines.push(await benchEngine('PostgreSQL', postgres.url, events))
      } finally {
        postgres.stop()
      }
    }
  }
  return { memory, engines, skipped }
}

export function formatInbox(result: Awaited<ReturnType<typeof benchInbox>>): string {
  const out = [
    '| engine | receiver | answer p50 (µs) | answer p99 (µs) | p50 / limit | p99 / limit | events/s (32 in flight) |',
    '|---|---|---:|---:|---:|---:|---:|',
  ]
  const m = result.memory
  out.push(
    `| - | ${m.name} | ${m.p50Micros.toFixed(0)} | ${m.p99Micros.toFixed(0)} | | | ${m.eventsPerSecond.toFixed(0)} |`,
  )
  for (const engine of result.engines) {
    const [limit] = engine.rows
    for (const r of engine.rows) {
      const p50 = limit ? (r.p50Micros / limit.p50Micros).toFixed(2) : ''
      const p99 = limit ? (r.p99Micros / limit.p99Micros).toFixed(2) : ''
      out.push(
        `| ${engine.engine} | ${r.name} | ${r.p50Micros.toFixed(0)} | ${r.p99Micros.toFixed(0)} | ${p50} | ${p99} | ${r.eventsPerSecond.toFixed(0)} |`,
      )
    }
  }
  out.push('', '| engine | one worker | events/s handled (no-op handler) |', '|---|---|---:|')
  for (const engine of result.engines) {
    for (const w of engine.worker)
      out.push(`| ${engine.engine} | concurrency ${w.concurrency} | ${w.eventsPerSecond.toFixed(0)} |`)
  }
  for (const s of result.skipped) out.push('', `Skipped: ${s}.`)
  return out.join('\n')
}

if (import.meta.main) {
  console.log(formatInbox(await benchInbox(process.env.BENCH_QUICK === '1' ? { events: 500 } : {})))
}
