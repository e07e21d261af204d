// pnpm bench: every benchmark in one run, printed as the tables BENCHMARKS.md shows.
// BENCH_QUICK=1 shortens every run (for a smoke check, not for figures).
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { benchAfter200, formatAfter200 } from './after-200.ts'
import { type ChartInputs, charts } from './charts.ts'
import { benchHostile, formatHostile } from './hostile.ts'
import { benchHttp, formatHttp, hasWrk } from './http.ts'
import { benchInbox, formatInbox } from './inbox.ts'
import { benchMemory, formatMemory } from './memory.ts'
import { benchPipeline, formatPipeline } from './pipeline.ts'
import { benchRuntimes, formatRuntimes } from './runtimes.ts'

const quick = process.env.BENCH_QUICK === '1'
// The charts BENCHMARKS.md shows, drawn from this run's figures (BENCH_CHARTS=dir to write them
// elsewhere; a quick run writes none unless asked, so it never replaces real figures).
const chartsDir =
  process.env.BENCH_CHARTS ?? (quick ? undefined : fileURLToPath(new URL('../charts/', import.meta.url)))
// Each table's results are kept (results.json) and drawn as soon as they are in, so a run
// stopped half-way still leaves the charts of what it measured.
const results: ChartInputs = {}
const chart = (name: keyof ChartInputs, value: ChartInputs[keyof ChartInputs]) => {
  if (!chartsDir) return
  ;(results as Record<string, unknown>)[name] = value
  mkdirSync(chartsDir, { recursive: true })
  writeFileSync(join(chartsDir, 'results.json'), `${JSON.stringify(results, null, 1)}\n`)
  const svg = charts(results)[name]
  if (!svg) return
  writeFileSync(join(chartsDir, `${name}.svg`), svg)
  console.log(`\n(chart: ${join(chartsDir, `${name}.svg`)})`)
}
console.log(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}${quick ? ' (quick run)' : ''}\n`)

console.log('## Pipeline per event (µs, median of batches of 50; lower is better)\n')
const pipeline = await benchPipeline({ timeMs: quick ? 200 : 2000 })
console.log(formatPipeline(pipeline))
chart('pipeline', pipeline)

console.log('\n## The signature check per runtime (µs per check of the 1.3 KB body)\n')
console.log(formatRuntimes(await benchRuntimes(quick ? { iterations: 2000 } : {})))

console.log('\n## Hostile and odd input (µs per request, p50)\n')
console.log(formatHostile(await benchHostile({ timeMs: quick ? 200 : 1500 })))

console.log(
  '\n## HTTP per adapter (wrk on loopback; the three routes of a framework at once on CPU 0; server CPU per request from each server process)\n',
)
if (hasWrk()) {
  const http = await benchHttp(quick ? { rounds: 1 } : {})
  console.log(formatHttp(http))
  chart('http', http)
} else console.log('**Skipped: wrk is not installed** (Debian: `apt-get install wrk`).')

console.log("\n## Durable inbox (BullMQ 6 on a local redis-server and PostgreSQL) against each engine's bare add\n")
const inbox = await benchInbox({ events: quick ? 500 : 5000 })
console.log(formatInbox(inbox))
chart('inbox', inbox)

console.log('\n## After the 200: bursts (coalesce) and order (orderBy)\n')
console.log(formatAfter200(await benchAfter200()))

console.log('\n## Memory of the in-memory dedupe store\n')
console.log(formatMemory(benchMemory({ events: quick ? 200_000 : 1_000_000 })))
