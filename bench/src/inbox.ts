// The inbox's cost: answer latency (p50/p99) and events/s through `handle` with a BullMQ inbox on
// a local redis-server against the in-memory pipeline, and events/s one worker gets through.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:net'
import { createBullMQInbox } from '@superoffice-webhooks/bullmq'
import { createSuperOfficeWebhooks, type SuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { SECRET, signedPool, typicalBody } from './bodies.ts'

export interface InboxRow {
  name: string
  p50Micros: number
  p99Micros: number
  eventsPerSecond: number
}

/** A throw-away redis-server on a free loopback port (the bench runs on Node's type stripping, so it
 * cannot load the test helpers, whose imports name .js files). */
async function startRedis(): Promise<{ url: string; stop(): void }> {
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

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0

async function measure(name: string, webhooks: SuperOfficeWebhooks, events: number): Promise<InboxRow> {
  const pool = signedPool(typicalBody, events * 2)
  let next = 0
  const one = async () => {
    const { body, signature } = pool[next++ % pool.length] as { body: Buffer; signature: string }
    const started = performance.now()
    const answer = await webhooks.handle({ rawBody: body, headers: { 'x-superoffice-signature': signature } })
    if (answer.status !== 200) throw new Error(`${name}: answered ${answer.status}`)
    return (performance.now() - started) * 1000
  }
  for (let i = 0; i < 200; i++) await one() // warm-up
  // Latency: one request at a time, as SuperOffice's sender threads wait for each answer.
  const latencies: number[] = []
  for (let i = 0; i < events; i++) latencies.push(await one())
  latencies.sort((a, b) => a - b)
  // Throughput: 32 requests in flight.
  const started = performance.now()
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      for (let i = 0; i < events / 32; i++) await one()
    }),
  )
  const seconds = (performance.now() - started) / 1000
  return {
    name,
    p50Micros: percentile(latencies, 0.5),
    p99Micros: percentile(latencies, 0.99),
    eventsPerSecond: events / seconds,
  }
}

export async function benchInbox(
  options: { events?: number } = {},
): Promise<{ answers: InboxRow[]; worker: { concurrency: number; eventsPerSecond: number }[] }> {
  const events = options.events ?? 5000
  const redis = await startRedis()
  try {
    const memory = createSuperOfficeWebhooks({ secret: SECRET, logger: false })
    memory.onAny(() => {})
    const inbox = createBullMQInbox({ connection: redis.url, queueName: 'bench' })
    const queued = createSuperOfficeWebhooks({ secret: SECRET, logger: false, inbox })
    const answers = [
      await measure('in-memory pipeline (handlers inline, no-op)', memory, events),
      await measure('BullMQ inbox (answer once Redis stored the job)', queued, events),
    ]
    // Each measure ran 200 + 2 × events deliveries; now let one worker drain them.
    const worker: { concurrency: number; eventsPerSecond: number }[] = []
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
    return { answers, worker }
  } finally {
    redis.stop()
  }
}

export function formatInbox(result: Awaited<ReturnType<typeof benchInbox>>): string {
  const out = ['| receiver | answer p50 (µs) | answer p99 (µs) | events/s (32 in flight) |', '|---|---:|---:|---:|']
  for (const r of result.answers) {
    out.push(`| ${r.name} | ${r.p50Micros.toFixed(0)} | ${r.p99Micros.toFixed(0)} | ${r.eventsPerSecond.toFixed(0)} |`)
  }
  out.push('', '| one worker | events/s handled (no-op handler) |', '|---|---:|')
  for (const w of result.worker) out.push(`| concurrency ${w.concurrency} | ${w.eventsPerSecond.toFixed(0)} |`)
  return out.join('\n')
}

if (import.meta.main) {
  console.log(formatInbox(await benchInbox()))
}
