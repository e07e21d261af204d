import { describe, expect, it } from 'vitest'
import { largeBody, typicalBody } from '../src/bodies.ts'
import { buildHostileCases } from '../src/hostile.ts'
import { benchMemory } from '../src/memory.ts'
import { buildCases } from '../src/pipeline.ts'

// A benchmark that measures a failure (a refused signature, a duplicate) measures nothing:
// every case must do its real work on the bytes it is given.
describe('benchmark cases do real work', () => {
  for (const [label, make] of [
    ['typical', typicalBody],
    ['large', largeBody],
  ] as const) {
    it(`every pipeline case succeeds on the ${label} body, event after event`, async () => {
      for (const c of buildCases(make, 12)) {
        for (let i = 0; i < 12; i++) await c.run(i)
      }
    })
  }

  it('every hostile-input case gets the answer it measures', async () => {
    for (const c of buildHostileCases()) await c.run()
  })

  it('the typical body is about 1.3 KB and the large one about 200 KB', () => {
    expect(Buffer.byteLength(typicalBody())).toBeGreaterThan(1200)
    expect(Buffer.byteLength(typicalBody())).toBeLessThan(1400)
    expect(Buffer.byteLength(largeBody()) / 1024).toBeGreaterThan(180)
  })

  it('the memory store keeps to its cap over many distinct EventIds', () => {
    const row = benchMemory({ events: 50_000, maxEntries: 10_000 })
    expect(row.size).toBe(10_000)
  })
})

describe('the inbox benchmark', () => {
  it('runs against its own redis-server: every answer 200, the worker drains the queue', async () => {
    const { benchInbox } = await import('../src/inbox.ts')
    const result = await benchInbox({ events: 64, engines: ['Redis'] })
    const [redis] = result.engines
    expect(redis?.rows.map((r) => r.name)).toEqual([
      'limit: bare queue.add of the same job',
      'BullMQ inbox (answer once the job is stored)',
    ])
    expect(redis?.worker.every((w) => w.eventsPerSecond > 0)).toBe(true)
  }, 120_000)
})

describe('the HTTP benchmark', async () => {
  const { benchHttp, hasWrk } = await import('../src/http.ts')
  const wrk = hasWrk()
  if (!wrk) {
    const message = 'wrk is not installed (Debian: apt-get install wrk): the HTTP benchmark test cannot run'
    if (process.env.CI === 'true') throw new Error(message)
    console.warn(`\n!!! SKIPPED: ${message}\n`)
  }
  it.runIf(wrk)(
    'loads each route with wrk: every adapter request handled once, none refused',
    async () => {
      const rows = await benchHttp({ frameworks: ['koa'], rounds: 1 })
      expect(rows.map((r) => r.mode)).toEqual(['bare', 'limit', 'adapter'])
      for (const row of rows) {
        expect(row.rps).toBeGreaterThan(0)
        expect(row.non2xx).toBe(0)
      }
      const adapter = rows[2]
      // Distinct EventIds throughout: the dedupe store never answers a duplicate.
      expect(adapter?.handled).toBe(adapter?.requests)
      // Some requests, however few a busy machine lets through: speed is BENCHMARKS.md's business.
      expect(adapter?.requests).toBeGreaterThan(0)
      expect(adapter?.ratio?.rounds).toBe(1)
    },
    240_000,
  )
})

describe('the per-runtime signature benchmark', () => {
  it('runs on Node, Bun, Deno and workerd, each check valid (a failed check throws), on the path each runtime has', async () => {
    const { benchRuntimes } = await import('../src/runtimes.ts')
    const { rows, skipped } = await benchRuntimes({ iterations: 50 })
    expect(skipped).toEqual([])
    expect(rows.map((r) => [r.runtime.split(' ')[0], r.defaultPath])).toEqual([
      ['Node', 'node:crypto'],
      ['Bun', 'node:crypto'],
      ['Deno', 'node:crypto'],
      ['workerd', 'WebCrypto'],
    ])
    // Timed from outside, workerd's figure from 50 checks is mostly noise: only its sign is not checked.
    for (const r of rows) {
      expect(Number.isFinite(r.defaultMicros) && Number.isFinite(r.webCryptoMicros)).toBe(true)
      if (r.defaultPath === 'node:crypto') expect(Math.min(r.defaultMicros, r.webCryptoMicros)).toBeGreaterThan(0)
    }
  }, 120_000)
})
