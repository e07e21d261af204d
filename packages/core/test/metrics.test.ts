// Issue 21: metrics on an OpenTelemetry meter (the SDK's own MeterProvider and a reader), for
// deliveries, the inbox hand-off, worker attempts and dead letters, and the inbox's job counts.
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { describe, expect, it } from 'vitest'
import {
  createSuperOfficeWebhooks,
  meterSuperOfficeWebhooks,
  type SuperOfficeInboxJob,
  signPayload,
} from '../src/index.js'
import { envelope } from './helpers.js'

const secret = 'metrics'
const signed = (event: object) => {
  const text = JSON.stringify(event)
  return { rawBody: Buffer.from(text), headers: { 'X-SuperOffice-Signature': signPayload(text, secret) } }
}

async function collect(reader: PeriodicExportingMetricReader, exporter: InMemoryMetricExporter) {
  await reader.forceFlush()
  const points = new Map<string, { attributes: Record<string, unknown>; value: unknown }[]>()
  for (const batch of exporter.getMetrics()) {
    for (const scope of batch.scopeMetrics) {
      for (const metric of scope.metrics) {
        points.set(
          metric.descriptor.name,
          metric.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })),
        )
      }
    }
  }
  exporter.reset()
  return points
}

describe('meterSuperOfficeWebhooks', () => {
  it('counts deliveries by outcome, event and tenant; times the pipeline, the hand-off and worker attempts; reads job counts', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })
    const provider = new MeterProvider({ readers: [reader] })
    const stored: SuperOfficeInboxJob[] = []
    const inbox = {
      enqueue: async (job: SuperOfficeInboxJob) => {
        stored.push(job)
      },
      stats: async () => ({ waiting: stored.length, active: 0, delayed: 0, failed: 1 }),
    }
    const stop = meterSuperOfficeWebhooks(provider.getMeter('test'), { inbox })
    try {
      const webhooks = createSuperOfficeWebhooks({ secret, logger: false, inbox })
      webhooks.on('sale.sold', async function failsOnce(_event, context) {
        if (context.eventId === 'e-fail') throw new Error('down')
      })
      await webhooks.handle(signed(envelope('sale.sold', { ContextIdentifier: 'CustM', EventId: 'e-ok' })))
      await webhooks.handle(signed(envelope('sale.sold', { ContextIdentifier: 'CustM', EventId: 'e-fail' })))
      const forged = await webhooks.handle({ rawBody: Buffer.from('{}'), headers: { 'X-SuperOffice-Signature': 'x' } })
      expect(forged.status).toBe(401)
      // The worker side: one good attempt, one that fails for good.
      await webhooks.processJob(stored[0] as SuperOfficeInboxJob, { attempt: 1, attempts: 3 })
      await expect(webhooks.processJob(stored[1] as SuperOfficeInboxJob, { attempt: 3, attempts: 3 })).rejects.toThrow()

      const points = await collect(reader, exporter)
      const deliveries = points.get('superoffice.webhook.deliveries') ?? []
      expect(deliveries).toContainEqual({
        attributes: {
          'superoffice.outcome': 'queued',
          'superoffice.event': 'sale.sold',
          'superoffice.tenant': 'CustM',
        },
        value: 2,
      })
      expect(deliveries).toContainEqual({ attributes: { 'superoffice.outcome': 'signature_invalid' }, value: 1 })
      expect(points.get('superoffice.webhook.duration')?.length).toBeGreaterThan(0)
      const enqueue = points.get('superoffice.inbox.enqueue.duration') ?? []
      expect(enqueue).toHaveLength(1)
      expect(enqueue[0]?.attributes).toEqual({ 'superoffice.stored': true })
      expect(enqueue[0]?.value).toMatchObject({ count: 2 })
      const attempts = points.get('superoffice.inbox.attempts') ?? []
      expect(attempts).toContainEqual({
        attributes: { 'superoffice.event': 'sale.sold', 'superoffice.result': 'ok' },
        value: 1,
      })
      expect(attempts).toContainEqual({
        attributes: { 'superoffice.event': 'sale.sold', 'superoffice.result': 'dead' },
        value: 1,
      })
      expect(points.get('superoffice.inbox.dead_letters')).toEqual([
        { attributes: { 'superoffice.event': 'sale.sold' }, value: 1 },
      ])
      expect(points.get('superoffice.inbox.jobs')).toContainEqual({
        attributes: { 'superoffice.state': 'waiting' },
        value: 2,
      })
      expect(points.get('superoffice.inbox.jobs')).toContainEqual({
        attributes: { 'superoffice.state': 'failed' },
        value: 1,
      })
    } finally {
      stop()
      await provider.shutdown()
    }
  })

  it("inboxByTenant: the job gauge per tenant and state, and each tenant's lag; off by default", async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })
    const provider = new MeterProvider({ readers: [reader] })
    const asked: unknown[] = []
    const inbox = {
      stats: async (options?: { byTenant: true }) => {
        asked.push(options)
        return {
          waiting: 3,
          active: 1,
          delayed: 0,
          failed: 0,
          ...(options?.byTenant
            ? {
                tenants: {
                  CustA: { waiting: 3, active: 0, delayed: 0, parked: 0, failed: 0, oldestWaitingMs: 42_000 },
                  CustB: { waiting: 0, active: 1, delayed: 0, parked: 2, failed: 0, oldestWaitingMs: 5_000 },
                },
              }
            : {}),
        }
      },
    }
    const plain = meterSuperOfficeWebhooks(provider.getMeter('plain'), { inbox })
    let points = await collect(reader, exporter)
    expect(asked).toEqual([undefined]) // without the option, no per-tenant read
    expect(points.has('superoffice.inbox.lag')).toBe(false)
    plain()
    const stop = meterSuperOfficeWebhooks(provider.getMeter('per-tenant'), { inbox, inboxByTenant: true })
    try {
      points = await collect(reader, exporter)
      expect(asked.slice(1)).toEqual([{ byTenant: true }]) // one read serves both gauges
      expect(points.get('superoffice.inbox.jobs')).toContainEqual({
        attributes: { 'superoffice.state': 'waiting', 'superoffice.tenant': 'CustA' },
        value: 3,
      })
      expect(points.get('superoffice.inbox.jobs')).toContainEqual({
        attributes: { 'superoffice.state': 'parked', 'superoffice.tenant': 'CustB' },
        value: 2,
      })
      expect(points.get('superoffice.inbox.jobs')).toContainEqual({
        attributes: { 'superoffice.state': 'active' },
        value: 1,
      })
      expect(points.get('superoffice.inbox.lag')).toEqual([
        { attributes: { 'superoffice.tenant': 'CustA' }, value: 42_000 },
        { attributes: { 'superoffice.tenant': 'CustB' }, value: 5_000 },
      ])
    } finally {
      stop()
      await provider.shutdown()
    }
  })

  it('tenants: false leaves the tenant off; stop() ends the counting', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })
    const provider = new MeterProvider({ readers: [reader] })
    const stop = meterSuperOfficeWebhooks(provider.getMeter('test'), { tenants: false })
    const webhooks = createSuperOfficeWebhooks({ secret, logger: false })
    webhooks.onAny(() => {})
    await webhooks.handle(signed(envelope('contact.created', { ContextIdentifier: 'CustX' })))
    stop()
    await webhooks.handle(signed(envelope('contact.created', { ContextIdentifier: 'CustX' })))
    const points = await collect(reader, exporter)
    expect(points.get('superoffice.webhook.deliveries')).toEqual([
      { attributes: { 'superoffice.outcome': 'handled', 'superoffice.event': 'contact.created' }, value: 1 },
    ])
    await provider.shutdown()
  })
})
