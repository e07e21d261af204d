// Per-event cost of receiving a webhook, on the same bytes: the limit (HMAC + constant-time
// compare + JSON.parse), this toolkit's pipeline, peer libraries doing their equivalent work, and
// signature verification alone on node:crypto vs WebCrypto. Every case is handed the same input,
// the body's bytes as they come off the network and its signature header: a library that takes
// text pays for decoding them, as the limit does. The cases run interleaved in rounds (each its
// turn in every round, the order rotated), and each case's figure is the median of its rounds, so
// a machine that drifts during the run does not favour whichever ran first.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { Webhooks as OctokitWebhooks } from '@octokit/webhooks'
import {
  createSuperOfficeWebhooks,
  type SuperOfficeWebhooksOptions,
  superOfficeEventSchemas,
  verifySignatureSync,
  verifySignatureWebCrypto,
} from '@superoffice-webhooks/core'
import { Webhook as StandardWebhook } from 'standardwebhooks'
import Stripe from 'stripe'
import { Bench } from 'tinybench'
import * as z from 'zod'
import { largeBody, SECRET, signedPool, typicalBody } from './bodies.ts'

/** Events per timed call: one event takes microseconds, close to the timer's own cost. */
const BATCH = 50

export interface PipelineRow {
  body: string
  name: string
  microsPerEvent: number
  ratioToLimit: number
}

export interface Case {
  name: string
  /** Processes event `i` of the pool; throws if the work was refused (a benchmark must not measure failures). */
  run: (i: number) => unknown
}

/** Every case, built over one body shape; exported so tests can check that each one really succeeds. */
export function buildCases(make: (eventId: string) => string, poolSize: number): Case[] {
  const pool = signedPool(make, poolSize)
  const texts = pool.map((p) => p.body.toString('utf8'))
  const at = <T>(list: T[], i: number) => list[i % list.length] as T

  const limit: Case = {
    name: 'limit: node:crypto HMAC + timingSafeEqual + JSON.parse',
    run(i) {
      const { body, signature } = at(pool, i)
      const expected = createHmac('sha256', SECRET).update(body).digest()
      if (!timingSafeEqual(expected, Buffer.from(signature, 'base64'))) throw new Error('bad signature')
      return JSON.parse(body.toString('utf8'))
    },
  }

  // Our pipeline with a given secret option. A dedupe TTL of 1 ms lets the pool's EventIds be
  // claimed again on the next lap, so every iteration pays for a real claim and completion.
  const oursWith = (name: string, secret: SuperOfficeWebhooksOptions['secret']): Case => {
    const webhooks = createSuperOfficeWebhooks({ secret, logger: false, dedupe: { ttlSeconds: 0.001 } })
    let handled = 0
    webhooks.on(['sale.created', 'sale.changed'], () => {
      handled++
    })
    return {
      name,
      async run(i) {
        const { body, signature } = at(pool, i)
        const before = handled
        const answer = await webhooks.handle({ rawBody: body, headers: { 'x-superoffice-signature': signature } })
        if (answer.status !== 200 || handled !== before + 1) throw new Error(`${name} answered ${answer.status}`)
      },
    }
  }
  const ours = oursWith('ours: verify + parse + validate + dedupe + dispatch', SECRET)
  // The same with a multi-tenant resolver: the tenant is read from the raw bytes (a short
  // top-level scan) only when the resolver asks, never by parsing the unauthenticated body.
  const tenant = JSON.parse(texts[0] ?? '{}').ContextIdentifier as string
  const oursResolver = oursWith('ours, secret resolver (multi-tenant)', (hint) =>
    hint.tenant === tenant ? SECRET : undefined,
  )

  const octokit = new OctokitWebhooks({ secret: SECRET })
  octokit.onAny(() => {})
  const octokitSignatures = texts.map((t) => `sha256=${createHmac('sha256', SECRET).update(t).digest('hex')}`)
  const octokitCase: Case = {
    name: '@octokit/webhooks verifyAndReceive',
    async run(i) {
      await octokit.verifyAndReceive({
        id: String(i),
        name: 'ping',
        signature: at(octokitSignatures, i),
        payload: at(pool, i).body.toString('utf8'), // it takes text: the bytes decoded, as for every case
      } as Parameters<OctokitWebhooks['verifyAndReceive']>[0])
    },
  }

  const stripe = new Stripe('sk_test_bench')
  const stripeHeaders = texts.map((payload) => stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }))
  const stripeCase: Case = {
    name: 'stripe webhooks.constructEvent',
    run(i) {
      return stripe.webhooks.constructEvent(at(pool, i).body, at(stripeHeaders, i), SECRET)
    },
  }

  const standardSecret = `whsec_${Buffer.from(SECRET).toString('base64')}`
  const standard = new StandardWebhook(standardSecret)
  const timestamp = new Date()
  const standardHeaders = texts.map((payload, i) => ({
    'webhook-id': `msg_${i}`,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': standard.sign(`msg_${i}`, timestamp, payload),
  }))
  const standardCase: Case = {
    name: 'standardwebhooks verify',
    run(i) {
      return standard.verify(at(pool, i).body.toString('utf8'), at(standardHeaders, i))
    },
  }

  // What a team writes by hand: HMAC, JSON.parse, one zod discriminated union of every event.
  const naiveSchema = z.discriminatedUnion('Event', Object.values(superOfficeEventSchemas) as never)
  const naive: Case = {
    name: 'naive: HMAC + JSON.parse + zod discriminatedUnion',
    run(i) {
      const { body, signature } = at(pool, i)
      if (createHmac('sha256', SECRET).update(body).digest('base64') !== signature) throw new Error('bad signature')
      return naiveSchema.parse(JSON.parse(body.toString('utf8')))
    },
  }

  const nodeVerify: Case = {
    name: 'verifySignature alone, node:crypto',
    run(i) {
      const { body, signature } = at(pool, i)
      if (!verifySignatureSync(body, signature, SECRET).valid) throw new Error('bad signature')
    },
  }
  const webVerify: Case = {
    name: 'verifySignature alone, WebCrypto',
    async run(i) {
      const { body, signature } = at(pool, i)
      if (!(await verifySignatureWebCrypto(body, signature, SECRET)).valid) throw new Error('bad signature')
    },
  }
  return [limit, ours, oursResolver, octokitCase, stripeCase, standardCase, naive, nodeVerify, webVerify]
}

export async function benchPipeline(options: { timeMs?: number; rounds?: number } = {}): Promise<PipelineRow[]> {
  const rows: PipelineRow[] = []
  const rounds = options.rounds ?? Number(process.env.PIPELINE_ROUNDS ?? 5)
  for (const [label, make, poolSize] of [
    [`sale.created, ${Buffer.byteLength(typicalBody())} B`, typicalBody, 20_000],
    [`large sale.changed, ${Math.round(Buffer.byteLength(largeBody()) / 1024)} KiB`, largeBody, 200],
  ] as const) {
    const cases = buildCases(make, poolSize)
    const perRound = new Map<string, number[]>()
    let cursor = 0
    for (let round = 0; round < rounds; round++) {
      // Each case its turn, the order rotated from round to round.
      for (let k = 0; k < cases.length; k++) {
        const c = cases[(k + round) % cases.length] as Case
        const bench = new Bench({ time: (options.timeMs ?? 1500) / rounds, warmup: round === 0, iterations: 10 })
        bench.add(c.name, async () => {
          for (let n = 0; n < BATCH; n++) await c.run(cursor++)
        })
        await bench.run()
        const result = bench.tasks[0]?.result
        if (result?.state !== 'completed') {
          throw new Error(`${c.name}: ${result?.state} ${result && 'error' in result ? result.error : ''}`)
        }
        perRound.set(c.name, [...(perRound.get(c.name) ?? []), (result.latency.p50 * 1000) / BATCH])
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN
    const micros = new Map([...perRound].map(([name, values]) => [name, median(values)]))
    const limit = micros.get(cases[0]?.name ?? '') ?? Number.NaN
    for (const c of cases) {
      const us = micros.get(c.name) ?? Number.NaN
      rows.push({ body: label, name: c.name, microsPerEvent: us, ratioToLimit: us / limit })
    }
  }
  return rows
}

export function formatPipeline(rows: PipelineRow[]): string {
  const out = ['| body | case | µs per event | × limit |', '|---|---|---:|---:|']
  for (const r of rows) {
    out.push(
      `| ${r.body} | ${r.name} | ${r.microsPerEvent.toFixed(r.microsPerEvent < 100 ? 2 : 0)} | ${r.ratioToLimit.toFixed(2)} |`,
    )
  }
  return out.join('\n')
}

if (import.meta.main) {
  console.log(formatPipeline(await benchPipeline()))
}
