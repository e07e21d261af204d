// The in-memory dedupe store after 1,000,000 distinct EventIds: it must stay within its cap.
import { createMemoryDedupeStore } from '@superoffice-webhooks/core'

export interface MemoryRow {
  maxEntries: number
  claimed: number
  size: number
  heapGrowthMB: number
  bytesPerEntry: number
  /** Mean cost of one claim + complete of a new key once the store is full (every insert evicts). */
  microsPerEventWhenFull: number
  /** The slowest 10,000-event stretch once full, per event: catches costs that come and go. */
  worstMicrosPerEventWhenFull: number
}

function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc) {
    gc()
    gc()
  }
  // The store keeps its keys in typed arrays, outside the JS heap: both count.
  const { heapUsed, arrayBuffers } = process.memoryUsage()
  return heapUsed + arrayBuffers
}

export function benchMemory(options: { events?: number; maxEntries?: number } = {}): MemoryRow {
  const events = options.events ?? 1_000_000
  const maxEntries = options.maxEntries ?? 100_000
  if (!(globalThis as { gc?: unknown }).gc) console.warn('memory: run with --expose-gc for exact figures')
  const before = heapUsed()
  const store = createMemoryDedupeStore({ maxEntries })
  const stretch = 10_000
  let fullSince: number | undefined
  let worst = 0
  let stretchStart = 0
  for (let i = 0; i < events; i++) {
    // Keys as the pipeline makes them: `${ContextIdentifier}:${EventId}`.
    const key = `Cust12345:${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`
    if (!store.claim(key, 300_000)) throw new Error('a distinct key was refused')
    store.complete(key, 86_400_000)
    if (i === maxEntries) fullSince = stretchStart = performance.now()
    else if (fullSince !== undefined && (i - maxEntries) % stretch === 0) {
      const t = performance.now()
      worst = Math.max(worst, ((t - stretchStart) * 1000) / stretch)
      stretchStart = t
    }
  }
  const full = fullSince === undefined ? Number.NaN : ((performance.now() - fullSince) * 1000) / (events - maxEntries)
  const after = heapUsed()
  const growth = after - before
  return {
    maxEntries,
    claimed: events,
    size: store.size,
    heapGrowthMB: growth / 1024 / 1024,
    bytesPerEntry: growth / store.size,
    microsPerEventWhenFull: full,
    worstMicrosPerEventWhenFull: worst,
  }
}

export function formatMemory(r: MemoryRow): string {
  return [
    '| distinct EventIds | maxEntries | keys held | memory growth (heap + array buffers) | per key | µs per new key when full (mean / worst 10k) |',
    '|---:|---:|---:|---:|---:|---:|',
    `| ${r.claimed.toLocaleString('en')} | ${r.maxEntries.toLocaleString('en')} | ${r.size.toLocaleString('en')} | ${r.heapGrowthMB.toFixed(1)} MB | ${Math.round(r.bytesPerEntry)} B | ${r.microsPerEventWhenFull.toFixed(2)} / ${r.worstMicrosPerEventWhenFull.toFixed(2)} |`,
  ].join('\n')
}

if (import.meta.main) console.log(formatMemory(benchMemory()))
