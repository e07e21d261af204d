// Requests per second and server CPU of each adapter's route against two routes of the same
// framework: bare (reads the body, answers 200) and limit (reads it, checks the HMAC in constant
// time, JSON.parse: the least any correct receiver does).
//
// - Load: wrk (Debian's `wrk`), one thread and 32 connections per route, on loopback. Its Lua
//   script sends signed sale.created events from a pool of 150,000 distinct EventIds; the
//   adapter's dedupe store holds 100,000, so an EventId is evicted before it comes round again:
//   every request is handled in full, with a full store that evicts on every claim (as in a server
//   that has been up a while). The run fails if any adapter request was not handled.
// - Same time, same core: this machine's speed wanders by tens of percent within seconds, so
//   routes measured one after the other are not comparable. The three servers of a framework run
//   at once, all on CPU 0 (taskset), each loaded to saturation by its own wrk on the other CPUs;
//   the scheduler gives each server an equal share of CPU 0, so their requests/s compare their
//   costs under the very same conditions. V8 runs its GC on the main thread here
//   (--single-threaded-gc): GC helper threads would otherwise win a busier process extra shares.
// - Rounds: several slices of two seconds; the ratio is the median of the rounds' ratios, with
//   the lowest and highest.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { signedPool, typicalBody } from './bodies.ts'

export const FRAMEWORKS = ['koa', 'h3-v1', 'h3-v2', 'nest-express', 'nest-fastify'] as const
const PATH = '/webhooks/superoffice'
const MODES = ['bare', 'limit', 'adapter'] as const
type Mode = (typeof MODES)[number]
const POOL_SIZE = 150_000
const CONNECTIONS = 32

export interface HttpRow {
  framework: string
  mode: Mode
  /** Requests per second over all of the mode's slices. */
  rps: number
  /** Median of the slices' p99 latency, ms. */
  p99: number
  non2xx: number
  /** Server CPU time per request, in µs, over the measured slices. */
  cpuPerRequest: number
  /** The server's share of a CPU while measured (the three routes share CPU 0: about a third each). */
  cpuShare: number
  /** Events the adapter's handler ran (0 for the other routes). */
  handled: number
  /** Requests the server counted after its warm-up. */
  requests: number
  /** adapter ÷ limit in req/s: the median of the rounds, and the lowest and highest round. */
  ratio?: { median: number; min: number; max: number; rounds: number }
}

/** Whether wrk is installed: the HTTP benchmark needs it (`apt-get install wrk`). */
export function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' })
    return true
  } catch (error) {
    // wrk prints its usage and exits 1 for --version; only a missing binary is ENOENT.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT'
  }
}

const pinned = (() => {
  if (process.platform !== 'linux' || cpus().length < 2) return false
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()
const onCpus = (cpuList: string, command: string, args: string[]): [string, string[]] =>
  pinned ? ['taskset', ['-c', cpuList, command, ...args]] : [command, args]

/** The pool file: fixed-size records `<signature>\t<body>\n`, every body the same length. */
function writePool(dir: string): string {
  const pool = signedPool(typicalBody, POOL_SIZE)
  const records = pool.map(({ body, signature }) => `${signature}\t${body.toString('utf8')}\n`)
  if (new Set(records.map((r) => Buffer.byteLength(r))).size !== 1) throw new Error('pool records differ in size')
  const file = join(dir, 'pool.tsv')
  writeFileSync(file, records.join(''))
  return file
}

interface Server {
  mode: Mode
  port: number
  /** The next pool record to send this server. */
  at: number
  slices: { requests: number; seconds: number; p99Us: number; non2xx: number }[]
  reset(): Promise<void>
  stop(): Promise<{ requests: number; handled: number; cpuMicros: number }>
}

async function startServer(framework: string, mode: Mode): Promise<Server> {
  const script = fileURLToPath(new URL('./http-server.ts', import.meta.url))
  const [command, args] = onCpus('0', process.execPath, ['--single-threaded-gc', script, framework, mode])
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines: string[] = []
  let onReset: (() => void) | undefined
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const received = chunk.split('\n').filter(Boolean)
    lines.push(...received)
    if (received.includes('reset')) onReset?.()
  })
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', () => resolve(Number(lines[0])))
    child.once('exit', (code) => reject(new Error(`${framework} ${mode} exited with ${code}`)))
  })
  return {
    mode,
    port,
    at: 0,
    slices: [],
    // Resolves once the server zeroed its counters: no request of a measured slice is missed.
    reset: () =>
      new Promise<void>((resolve) => {
        onReset = resolve
        child.kill('SIGUSR2')
      }),
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
      return JSON.parse(lines.at(-1) ?? '{}') as { requests: number; handled: number; cpuMicros: number }
    },
  }
}

async function slice(server: Server, pool: string, seconds: number): Promise<Server['slices'][number]> {
  const lua = fileURLToPath(new URL('./wrk.lua', import.meta.url))
  const others = `1-${Math.max(1, cpus().length - 1)}`
  const [command, args] = onCpus(others, 'wrk', [
    '-t1',
    `-c${CONNECTIONS}`,
    `-d${seconds}s`,
    '-s',
    lua,
    `http://127.0.0.1:${server.port}${PATH}`,
    '--',
    pool,
    String(server.at),
  ])
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let text = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk
    })
    child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}`))))
  })
  const result = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as {
    requests: number
    durationUs: number
    p99Us: number
    non2xx: number
    errors: number
  }
  // wrk counts completed requests; up to one per connection was sent and cut off at the end, so
  // the next slice skips past those too.
  server.at += result.requests + CONNECTIONS
  return {
    requests: result.requests,
    seconds: result.durationUs / 1e6,
    p99Us: result.p99Us,
    non2xx: result.non2xx + result.errors,
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}
const rate = (s: Server['slices'][number]) => s.requests / s.seconds

async function benchFramework(framework: string, pool: string, rounds: number, seconds: number): Promise<HttpRow[]> {
  const servers: Server[] = []
  let stats: { requests: number; handled: number; cpuMicros: number }[] = []
  try {
    for (const mode of MODES) servers.push(await startServer(framework, mode))
    await Promise.all(servers.map((server) => slice(server, pool, 1))) // warm-up: the JIT settles
    for (const server of servers) await server.reset()
    for (let round = 0; round < rounds; round++) {
      const results = await Promise.all(servers.map((server) => slice(server, pool, seconds)))
      for (const [i, server] of servers.entries()) server.slices.push(results[i] as Server['slices'][number])
    }
  } finally {
    stats = await Promise.all(servers.map((s) => s.stop()))
  }
  const rows = servers.map((server, i): HttpRow => {
    const { cpuMicros, handled, requests: counted } = stats[i] as (typeof stats)[number]
    const requests = server.slices.reduce((sum, s) => sum + s.requests, 0)
    const secondsIn = server.slices.reduce((sum, s) => sum + s.seconds, 0)
    return {
      framework,
      mode: server.mode,
      rps: requests / secondsIn,
      p99: median(server.slices.map((s) => s.p99Us)) / 1000,
      non2xx: server.slices.reduce((sum, s) => sum + s.non2xx, 0),
      cpuPerRequest: cpuMicros / counted,
      cpuShare: cpuMicros / (secondsIn * 1e6),
      handled,
      requests: counted,
    }
  })
  const [, limit, adapter] = servers as [Server, Server, Server]
  const ratios = adapter.slices.map((s, i) => rate(s) / rate(limit.slices[i] as Server['slices'][number]))
  const adapterRow = rows[2] as HttpRow
  adapterRow.ratio = { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), rounds }
  // A benchmark that measured refusals or skipped work (a duplicate) measures nothing.
  if (adapterRow.handled !== adapterRow.requests || adapterRow.non2xx > 0) {
    throw new Error(
      `${framework} adapter: ${adapterRow.handled} of ${adapterRow.requests} requests handled, ${adapterRow.non2xx} not 2xx`,
    )
  }
  return rows
}

/**
 * Runs the HTTP benchmark for the given frameworks.
 *
 * @param options.rounds slices in which the three routes run at once (default 5, of 2 s each)
 */
export async function benchHttp(
  options: { rounds?: number; sliceSeconds?: number; frameworks?: readonly string[] } = {},
): Promise<HttpRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'so-bench-http-'))
  try {
    const pool = writePool(dir)
    const rows: HttpRow[] = []
    for (const framework of options.frameworks ?? FRAMEWORKS) {
      rows.push(...(await benchFramework(framework, pool, options.rounds ?? 5, options.sliceSeconds ?? 2)))
    }
    return rows
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export function formatHttp(rows: HttpRow[]): string {
  const out = [
    '| framework | route | req/s (a third of CPU 0) | p99 ms | CPU share | server CPU µs/req | adapter ÷ this (req/s) | this ÷ adapter (CPU) | non-2xx |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for (const framework of new Set(rows.map((r) => r.framework))) {
    const adapter = rows.find((r) => r.framework === framework && r.mode === 'adapter')
    if (!adapter) continue
    for (const mode of MODES) {
      const r = rows.find((row) => row.framework === framework && row.mode === mode)
      if (!r) continue
      let vs = mode === 'adapter' ? '' : (adapter.rps / r.rps).toFixed(2)
      if (mode === 'limit' && adapter.ratio) {
        const { median: m, min, max } = adapter.ratio
        vs = `**${m.toFixed(2)}** (${min.toFixed(2)}–${max.toFixed(2)})`
      }
      const cpu = mode === 'adapter' ? '' : (r.cpuPerRequest / adapter.cpuPerRequest).toFixed(2)
      out.push(
        `| ${framework} | ${mode} | ${Math.round(r.rps)} | ${r.p99.toFixed(1)} | ${r.cpuShare.toFixed(2)} | ${r.cpuPerRequest.toFixed(1)} | ${vs} | ${cpu} | ${r.non2xx} |`,
      )
    }
  }
  return out.join('\n')
}

if (import.meta.main) {
  // `node src/http.ts koa h3-v1`: only those frameworks. HTTP_ROUNDS changes the number of rounds.
  const frameworks = process.argv.slice(2)
  for (const name of frameworks) {
    if (!(FRAMEWORKS as readonly string[]).includes(name)) throw new Error(`unknown framework ${name}`)
  }
  if (!hasWrk()) {
    console.error('bench:http needs wrk on the PATH (Debian: apt-get install wrk).')
    process.exit(1)
  }
  const rounds = Number(process.env.HTTP_ROUNDS ?? 5)
  console.log(formatHttp(await benchHttp({ frameworks: frameworks.length > 0 ? frameworks : FRAMEWORKS, rounds })))
}
