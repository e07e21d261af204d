import { trace } from '@opentelemetry/api'

declare const histogram: { observe(labels: Record<string, string>, value: number): void }
declare function syncContact(id: number | undefined): void

// #region readme
import { createSuperOfficeWebhooks, traceSuperOfficeWebhooks } from '@superoffice-webhooks/core'

const webhooks = createSuperOfficeWebhooks({
  secret: process.env.SUPEROFFICE_WEBHOOK_SECRET!,
  logLevel: 'info', // 'debug' | 'info' | 'warn' (default) | 'error' | 'silent'
})

// Metrics: one call per request, whatever its answer.
webhooks.onOutcome(({ code, event, durationMs }) => histogram.observe({ code, event: event ?? 'none' }, durationMs))

// Traces: an OpenTelemetry span per delivery, from the diagnostics channel.
const stopTracing = traceSuperOfficeWebhooks(trace.getTracer('crm-sync'))

// Handlers can be removed again.
const onContact = (event: { PrimaryKey?: number }) => syncContact(event.PrimaryKey)
webhooks.on('contact.*', onContact)
webhooks.off('contact.*', onContact)

// #endregion readme
export { stopTracing }
