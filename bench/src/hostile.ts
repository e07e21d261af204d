// What hostile or odd input costs the pipeline: an unsigned 1 MiB body of nested arrays (refused
// with 401, with a static secret and with a resolver, which must not parse it), and a signed body
// whose Values hold 60,000 entries of the wrong type (tolerated, reported as schema_mismatch).
import { createSuperOfficeWebhooks, signPayload } from '@superoffice-webhooks/core'
import { createTestEvent } from '@superoffice-webhooks/testing'
import { Bench } from 'tinybench'
import { SECRET } from './bodies.ts'

export interface HostileRow {
  name: string
  microsPerRequest: number
}

export interface HostileCase {
  name: string
  /** Runs one request; throws unless the answer is the expected one. */
  run: () => Promise<void>
}

export function buildHostileCases(): HostileCase[] {
  const nested = Buffer.from(`${'['.repeat(500_000)}${']'.repeat(500_000)}`)
  // The worst case for the tenant scan: the key is there, at the very end, after 1 MiB of nesting.
  const nestedWithKey = Buffer.from(
    `{"x":${'['.repeat(480_000)}${']'.repeat(480_000)},"ContextIdentifier":"Cust12345"}`,
  )
  const forged = { 'x-superoffice-signature': `${'A'.repeat(43)}=` }
  const tenant = 'Cust12345'
  const stat = createSuperOfficeWebhooks({ secret: SECRET, logger: false })
  const resolved = createSuperOfficeWebhooks({
    secret: (hint) => (hint.tenant === tenant ? SECRET : undefined),
    logger: false,
  })
  const values = Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`id${i}`, 'x']))
  const odd = Buffer.from(JSON.stringify({ ...createTestEvent('sale.deleted'), Values: values }))
  const tolerant = createSuperOfficeWebhooks({ secret: SECRET, logger: false, maxBodyBytes: 4 * 1024 * 1024 })
  tolerant.on('sale.*', () => {})
  const oddHeaders = { 'x-superoffice-signature': signPayload(odd, SECRET) }

  const expect = async (answer: Promise<{ status: number }>, status: number) => {
    const { status: got } = await answer
    if (got !== status) throw new Error(`answered ${got}, expected ${status}`)
  }
  return [
    {
      name: `unsigned ${Math.round(nested.byteLength / 1024)} KiB of nested arrays, static secret (401)`,
      run: () => expect(stat.handle({ rawBody: nested, headers: forged }), 401),
    },
    {
      name: `unsigned ${Math.round(nested.byteLength / 1024)} KiB of nested arrays, secret resolver (401)`,
      run: () => expect(resolved.handle({ rawBody: nested, headers: forged }), 401),
    },
    {
      name: `unsigned ${Math.round(nestedWithKey.byteLength / 1024)} KiB, ContextIdentifier after the nesting, secret resolver (401)`,
      run: () => expect(resolved.handle({ rawBody: nestedWithKey, headers: forged }), 401),
    },
    {
      name: `signed ${Math.round(odd.byteLength / 1024)} KiB sale.deleted, 60,000 Values of the wrong type (200)`,
      run: () => expect(tolerant.handle({ rawBody: odd, headers: oddHeaders }), 200),
    },
  ]
}

export async function benchHostile(options: { timeMs?: number } = {}): Promise<HostileRow[]> {
  const cases = buildHostileCases()
  const bench = new Bench({ time: options.timeMs ?? 1500, warmup: true, iterations: 10 })
  for (const c of cases) bench.add(c.name, c.run)
  await bench.run()
  return bench.tasks.map((task) => {
    const result = task.result
    if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`)
    return { name: task.name, microsPerRequest: result.latency.p50 * 1000 }
  })
}

export function formatHostile(rows: HostileRow[]): string {
  const out = ['| request | µs per request (p50) |', '|---|---:|']
  for (const r of rows) out.push(`| ${r.name} | ${r.microsPerRequest.toFixed(0)} |`)
  return out.join('\n')
}

if (import.meta.main) {
  console.log(formatHostile(await benchHostile()))
}
