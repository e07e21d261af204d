// pnpm bench: every benchmark in one run, printed as the tables BENCHMARKS.md shows.
// BENCH_QUICK=1 shortens every run (for a smoke check, not for figures).
import { cpus } from 'node:os'
import { benchAfter200, formatAfter200 } from './after-200.ts'
import { benchHostile, formatHostile } from './hostile.ts'
import { benchHttp, formatHttp, hasWrk } from './http.ts'
import { benchInbox, formatInbox } from './inbox.ts'
import { benchMemory, formatMemory } from './memory.ts'
import { benchPipeline, formatPipeline } from './pipeline.ts'

const quick = process.env.BENCH_QUICK === '1'
console.log(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}${quick ? ' (quick run)' : ''}\n`)

console.log('## Pipeline per event (µs, median of batches of 50; lower is better)\n')
console.log(formatPipeline(await benchPipeline({ timeMs: quick ? 200 : 2000 })))

console.log('\n## Hostile and odd input (µs per request, p50)\n')
console.log(formatHostile(await benchHostile({ timeMs: quick ? 200 : 1500 })))

console.log(
  '\n## HTTP per adapter (wrk on loopback; the three routes of a framework at once on CPU 0; server CPU per request from each server process)\n',
)
if (hasWrk()) console.log(formatHttp(await benchHttp(quick ? { rounds: 1 } : {})))
else console.log('**Skipped: wrk is not installed** (Debian: `apt-get install wrk`).')

console.log("\n## Durable inbox (BullMQ 6 on a local redis-server and PostgreSQL) against each engine's bare add\n")
console.log(formatInbox(await benchInbox({ events: quick ? 500 : 5000 })))

console.log('\n## After the 200: bursts (coalesce) and order (orderBy)\n')
console.log(formatAfter200(await benchAfter200()))

console.log('\n## Memory of the in-memory dedupe store\n')
console.log(formatMemory(benchMemory({ events: quick ? 200_000 : 1_000_000 })))
