import type * as DiagnosticsChannel from 'node:diagnostics_channel'
import { RECEIVE_CHANNEL, type SuperOfficeReceiveMessage } from './observe.js'

type Attributes = Record<string, string | number | boolean>

/** The part of an OpenTelemetry `Tracer` the helper uses (`@opentelemetry/api` fits as is). */
export interface OpenTelemetryTracerLike {
  startSpan(name: string, options?: { kind?: number; attributes?: Attributes }): OpenTelemetrySpanLike
}

/** The part of an OpenTelemetry `Span` the helper uses. */
export interface OpenTelemetrySpanLike {
  setAttribute(key: string, value: string | number | boolean): unknown
  setStatus(status: { code: number; message?: string }): unknown
  updateName?(name: string): unknown
  end(): void
}

// Values of @opentelemetry/api's SpanKind.CONSUMER and SpanStatusCode.ERROR, without depending on it.
const SPAN_KIND_CONSUMER = 4
const STATUS_ERROR = 2

/**
 * Traces every delivery of every receiver in this process as an OpenTelemetry span, following the
 * messaging semantic conventions (`messaging.system` = `superoffice`, `messaging.message.id` =
 * EventId, `messaging.destination.name` = the event name). It subscribes to the
 * `superoffice-webhooks:receive` diagnostics channel, so core needs no OpenTelemetry dependency
 * and costs nothing while nobody subscribes. Returns a function that stops the tracing.
 *
 * @example
 * ```ts
 * import { trace } from '@opentelemetry/api'
 * import { traceSuperOfficeWebhooks } from '@superoffice-webhooks/core'
 *
 * const stop = traceSuperOfficeWebhooks(trace.getTracer('crm-sync'))
 * ```
 */
export function traceSuperOfficeWebhooks(tracer: OpenTelemetryTracerLike): () => void {
  const diagnostics = (
    globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }
  ).process?.getBuiltinModule?.('node:diagnostics_channel') as typeof DiagnosticsChannel | undefined
  if (!diagnostics) throw new Error('traceSuperOfficeWebhooks needs node:diagnostics_channel (Node, Deno, Bun).')
  const channel = diagnostics.tracingChannel<unknown, SuperOfficeReceiveMessage & object>(RECEIVE_CHANNEL)
  const spans = new WeakMap<object, OpenTelemetrySpanLike>()

  const finish = (message: SuperOfficeReceiveMessage, error?: unknown) => {
    const span = spans.get(message)
    if (!span) return
    spans.delete(message)
    const outcome = message.outcome
    if (outcome) {
      if (outcome.event !== undefined) {
        span.setAttribute('messaging.destination.name', outcome.event)
        span.updateName?.(`process ${outcome.event}`)
      }
      if (outcome.eventId !== undefined) span.setAttribute('messaging.message.id', outcome.eventId)
      if (outcome.tenant !== undefined) span.setAttribute('superoffice.tenant', outcome.tenant)
      span.setAttribute('superoffice.outcome', outcome.code)
      span.setAttribute('http.response.status_code', outcome.status)
      if (outcome.status !== 200) span.setStatus({ code: STATUS_ERROR, message: outcome.code })
    }
    if (error !== undefined) span.setStatus({ code: STATUS_ERROR, message: String(error) })
    span.end()
  }

  const subscribers: DiagnosticsChannel.TracingChannelSubscribers<SuperOfficeReceiveMessage & object> = {
    start(message) {
      const attributes: Attributes = {
        'messaging.system': 'superoffice',
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
      }
      if (message.input.url) attributes['url.full'] = message.input.url
      spans.set(message, tracer.startSpan('process superoffice', { kind: SPAN_KIND_CONSUMER, attributes }))
    },
    end() {},
    asyncStart() {},
    asyncEnd(message) {
      finish(message)
    },
    error(message) {
      finish(message, (message as { error?: unknown }).error)
    },
  }
  channel.subscribe(subscribers)
  return () => channel.unsubscribe(subscribers)
}
