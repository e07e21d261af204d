import type * as DiagnosticsChannel from 'node:diagnostics_channel'
import {
  INBOX_CHANNEL,
  RECEIVE_CHANNEL,
  type SuperOfficeInboxMessage,
  type SuperOfficeReceiveMessage,
} from './observe.js'

type Attributes = Record<string, string | number | boolean>

/** The part of an OpenTelemetry `Meter` the helper uses (`@opentelemetry/api`'s fits as is). */
export interface OpenTelemetryMeterLike {
  createCounter(
    name: string,
    options?: { description?: string; unit?: string },
  ): {
    add(value: number, attributes?: Attributes): void
  }
  createHistogram(
    name: string,
    options?: { description?: string; unit?: string },
  ): {
    record(value: number, attributes?: Attributes): void
  }
  createObservableGauge(
    name: string,
    options?: { description?: string; unit?: string },
  ): {
    addCallback(callback: OpenTelemetryObservableCallback): void
    removeCallback(callback: OpenTelemetryObservableCallback): void
  }
}

/** An observable instrument's callback, as `@opentelemetry/api` calls it. */
export type OpenTelemetryObservableCallback = (result: {
  observe(value: number, attributes?: Attributes): void
}) => void | Promise<void>

/**
 * Options of {@link meterSuperOfficeWebhooks}.
 *
 * @example
 * ```ts
 * meterSuperOfficeWebhooks(meter, { inbox, tenants: false })
 * ```
 */
export interface SuperOfficeMeterOptions {
  /**
   * An inbox with job counts (`@superoffice-webhooks/bullmq`'s `stats()`): reported as the gauge
   * `superoffice.inbox.jobs` by state (waiting, active, delayed, failed) when metrics are read.
   */
  inbox?: {
    stats(options?: { byTenant: true }): Promise<
      Partial<Record<JobState, number>> & {
        tenants?: Record<string, Partial<Record<JobState | 'parked' | 'oldestWaitingMs', number>>>
      }
    >
  }
  /** Label deliveries with the tenant (`superoffice.tenant`). Default `true`; `false` for many tenants. */
  tenants?: boolean
  /**
   * Also report the inbox per tenant (opt-in: one series per tenant and state): the gauge
   * `superoffice.inbox.jobs` with `superoffice.tenant`, and `superoffice.inbox.lag` (ms), the age of
   * each tenant's oldest job not yet run. Reads `inbox.stats({ byTenant: true })`, which walks the
   * stored backlog, so mind the metrics reader's interval on a large one. Default `false`.
   */
  inboxByTenant?: boolean
}

type JobState = 'waiting' | 'active' | 'delayed' | 'failed'

/**
 * Metrics of every receiver and inbox worker in this process, on an OpenTelemetry meter, the same
 * zero-dependency way as {@link traceSuperOfficeWebhooks}: it listens on core's diagnostics
 * channels, so core needs no OpenTelemetry package and costs nothing while nobody listens.
 *
 * - `superoffice.webhook.deliveries` (counter): by `superoffice.outcome` (`handled`, `duplicate`,
 *   `queued`, `signature_invalid`…), `superoffice.event` and `superoffice.tenant`.
 * - `superoffice.webhook.duration` (histogram, ms): the pipeline's time to the answer.
 * - `superoffice.inbox.enqueue.duration` (histogram, ms): the hand-off to the inbox, by `superoffice.stored`.
 * - `superoffice.inbox.attempts` (counter): worker attempts by `superoffice.event` and `superoffice.result` (`ok`, `retry`, `dead`).
 * - `superoffice.inbox.dead_letters` (counter): jobs whose last attempt failed.
 * - `superoffice.inbox.jobs` (gauge): the inbox's jobs by `superoffice.state`, with `options.inbox`
 *   (and by `superoffice.tenant` too, with `inboxByTenant`).
 * - `superoffice.inbox.lag` (gauge, ms): each tenant's oldest job not yet run, with `inboxByTenant`.
 *
 * Returns a function that stops it.
 *
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api'
 * import { meterSuperOfficeWebhooks } from '@superoffice-webhooks/core'
 *
 * const stop = meterSuperOfficeWebhooks(metrics.getMeter('crm-sync'), { inbox })
 * ```
 */
export function meterSuperOfficeWebhooks(
  meter: OpenTelemetryMeterLike,
  options: SuperOfficeMeterOptions = {},
): () => void {
  const diagnostics = (
    globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }
  ).process?.getBuiltinModule?.('node:diagnostics_channel') as typeof DiagnosticsChannel | undefined
  if (!diagnostics) throw new Error('meterSuperOfficeWebhooks needs node:diagnostics_channel (Node, Deno, Bun).')
  const tenants = options.tenants !== false
  const deliveries = meter.createCounter('superoffice.webhook.deliveries', {
    description: 'SuperOffice webhook deliveries, by outcome',
  })
  const duration = meter.createHistogram('superoffice.webhook.duration', {
    description: 'Time from the request to the answer',
    unit: 'ms',
  })
  const enqueue = meter.createHistogram('superoffice.inbox.enqueue.duration', {
    description: 'Time to store a delivery in the inbox',
    unit: 'ms',
  })
  const attempts = meter.createCounter('superoffice.inbox.attempts', { description: 'Inbox worker attempts' })
  const dead = meter.createCounter('superoffice.inbox.dead_letters', {
    description: 'Inbox jobs whose last attempt failed',
  })

  const receive = diagnostics.tracingChannel<unknown, SuperOfficeReceiveMessage & object>(RECEIVE_CHANNEL)
  const subscribers: DiagnosticsChannel.TracingChannelSubscribers<SuperOfficeReceiveMessage & object> = {
    start() {},
    end() {},
    asyncStart() {},
    error() {},
    asyncEnd(message) {
      const outcome = message.outcome
      if (!outcome) return
      const attributes: Attributes = { 'superoffice.outcome': outcome.code }
      if (outcome.event !== undefined) attributes['superoffice.event'] = outcome.event
      if (tenants && outcome.tenant !== undefined) attributes['superoffice.tenant'] = outcome.tenant
      deliveries.add(1, attributes)
      duration.record(outcome.durationMs, { 'superoffice.outcome': outcome.code })
    },
  }
  receive.subscribe(subscribers)

  const onInbox = (raw: unknown) => {
    const message = raw as SuperOfficeInboxMessage
    if (message.type === 'enqueue') {
      enqueue.record(message.durationMs, { 'superoffice.stored': message.stored })
      return
    }
    const result = message.ok ? 'ok' : message.dead ? 'dead' : 'retry'
    attempts.add(1, { 'superoffice.event': message.event, 'superoffice.result': result })
    if (message.dead) dead.add(1, { 'superoffice.event': message.event })
  }
  diagnostics.subscribe(INBOX_CHANNEL, onInbox)

  let gauge: ReturnType<OpenTelemetryMeterLike['createObservableGauge']> | undefined
  let lagGauge: ReturnType<OpenTelemetryMeterLike['createObservableGauge']> | undefined
  const byTenant = options.inboxByTenant === true
  // One read of the inbox serves both gauges of a collection (they are called one after the other).
  let reading:
    | { at: number; stats: Promise<Awaited<ReturnType<NonNullable<SuperOfficeMeterOptions['inbox']>['stats']>>> }
    | undefined
  const read = () => {
    const inbox = options.inbox as NonNullable<SuperOfficeMeterOptions['inbox']>
    if (!reading || Date.now() - reading.at > 1000) {
      reading = { at: Date.now(), stats: byTenant ? inbox.stats({ byTenant: true }) : inbox.stats() }
    }
    return reading.stats
  }
  const observeJobs: OpenTelemetryObservableCallback = async (result) => {
    try {
      const stats = await read()
      for (const state of ['waiting', 'active', 'delayed', 'failed'] as const) {
        const value = stats[state]
        if (typeof value === 'number') result.observe(value, { 'superoffice.state': state })
      }
      for (const [tenant, counts] of Object.entries(stats.tenants ?? {})) {
        for (const state of ['waiting', 'active', 'delayed', 'parked', 'failed'] as const) {
          const value = counts[state]
          if (typeof value === 'number') {
            result.observe(value, { 'superoffice.state': state, 'superoffice.tenant': tenant })
          }
        }
      }
    } catch {
      // The store is unreachable: no reading this time, rather than a wrong one.
    }
  }
  const observeLag: OpenTelemetryObservableCallback = async (result) => {
    try {
      for (const [tenant, counts] of Object.entries((await read()).tenants ?? {})) {
        if (typeof counts.oldestWaitingMs === 'number') {
          result.observe(counts.oldestWaitingMs, { 'superoffice.tenant': tenant })
        }
      }
    } catch {
      // As above.
    }
  }
  if (options.inbox) {
    gauge = meter.createObservableGauge('superoffice.inbox.jobs', { description: 'Inbox jobs by state' })
    gauge.addCallback(observeJobs)
    if (byTenant) {
      lagGauge = meter.createObservableGauge('superoffice.inbox.lag', {
        description: "Age of each tenant's oldest job not yet run",
        unit: 'ms',
      })
      lagGauge.addCallback(observeLag)
    }
  }

  return () => {
    receive.unsubscribe(subscribers)
    diagnostics.unsubscribe(INBOX_CHANNEL, onInbox)
    gauge?.removeCallback(observeJobs)
    lagGauge?.removeCallback(observeLag)
  }
}
