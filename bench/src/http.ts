// Requests per second and p99 latency of each adapter's route against a bare route of the same
// framework (reads the body, answers 200), with autocannon on loopback, bounded in time. Every
// request carries a fresh, signed sale.created event, so the adapter does the full work each time.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { signedPool, typicalBody } from './bodies.ts'

export const FRAMEWORKS = ['koa', 'h3-v1', 'h3-v2', 'nest-express', 'nest-fastify'] as const
const PATH = '/webhooks/superoffice'

export interface HttpRow {
  framework: string
  mode: 'adapter' | 'bare' | 'limit'
  rps: number
  p99: number
  non2xx: number
  /** Server CPU time per request, in µs. */
  cpuPerRequest: number
  /** Events the adapter's handler ran (0 for the bare route). */
  handled: number
}

async function startServer(framework: string, mode: string) {
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL('./http-server.ts', import.meta.url)), framework, mode],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  const lines: string[] = []
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)))
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', () => resolve(Number(lines[0])))
    child.once('exit', (code) => reject(new Error(`${framework} ${mode} exited with ${code}`)))
  })
  return {
    port,
    reset: () => child.kill('SIGUSR2'),
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
      return JSON.parse(lines.at(-1) ?? '{}') as { requests: number; handled: number; cpuMicros: number }
    },
  }
}

let pool: ReturnType<typeof signedPool> | undefined
let next = 0

async function load(port: number, durationSeconds: number, connections: number) {
  // Distinct EventIds, so no request is a cheap duplicate (a lap of the pool takes longer than a run).
  pool ??= signedPool(typicalBody, 100_000)
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${PATH}`,
    method: 'POST',
    connections,
    duration: durationSeconds,
    requests: [
      {
        setupRequest: (request) => {
          const events = pool as NonNullable<typeof pool>
          const { body, signature } = events[next++ % events.length] as (typeof events)[number]
          return {
            ...request,
            body,
            headers: {
              ...request.headers,
              'content-type': 'application/json; charset=utf-8',
              'x-superoffice-signature': signature,
            },
          }
        },
      },
    ],
  })
  return { rps: result.requests.average, p99: result.latency.p99, non2xx: result.non2xx + result.errors }
}

export async function benchHttp(options: { durationSeconds?: number; connections?: number } = {}): Promise<HttpRow[]> {
  const rows: HttpRow[] = []
  for (const framework of FRAMEWORKS) {
    for (const mode of ['bare', 'limit', 'adapter'] as const) {
      const server = await startServer(framework, mode)
      let r: Awaited<ReturnType<typeof load>> | undefined
      try {
        await load(server.port, 1, options.connections ?? 32) // warm-up
        server.reset()
        r = await load(server.port, options.durationSeconds ?? 5, options.connections ?? 32)
      } finally {
        const stats = await server.stop()
        if (r)
          rows.push({ framework, mode, ...r, cpuPerRequest: stats.cpuMicros / stats.requests, handled: stats.handled })
      }
    }
  }
  return rows
}

export function formatHttp(rows: HttpRow[]): string {
  const out = [
    '| framework | route | req/s | p99 ms | server CPU µs/req | adapter ÷ this (req/s) | this ÷ adapter (CPU) | non-2xx |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ]
  for (const framework of FRAMEWORKS) {
    const adapter = rows.find((r) => r.framework === framework && r.mode === 'adapter')
    if (!adapter) continue
    for (const mode of ['bare', 'limit', 'adapter'] as const) {
      const r = rows.find((row) => row.framework === framework && row.mode === mode)
      if (!r) continue
      const vs = mode === 'adapter' ? '' : (adapter.rps / r.rps).toFixed(2)
      const cpu = mode === 'adapter' ? '' : (r.cpuPerRequest / adapter.cpuPerRequest).toFixed(2)
      out.push(
        `| ${framework} | ${mode} | ${Math.round(r.rps)} | ${r.p99} | ${Math.round(r.cpuPerRequest)} | ${vs} | ${cpu} | ${r.non2xx} |`,
      )
    }
  }
  return out.join('\n')
}

if (import.meta.main) console.log(formatHttp(await benchHttp()))
