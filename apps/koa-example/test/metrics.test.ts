// The Prometheus example: the Koa app with METRICS_PORT exports core's metrics through the
// OpenTelemetry Prometheus exporter; a scrape after a few deliveries shows them.
import { fileURLToPath } from 'node:url'
import { startExampleApp } from '@superoffice-webhooks/test-utils/apps'
import { freePort } from '@superoffice-webhooks/test-utils/servers'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { expect, it } from 'vitest'

it('METRICS_PORT: /metrics shows deliveries by outcome and event, and the pipeline duration', async () => {
  const secret = 'metrics-example-secret'
  const metricsPort = await freePort()
  const app = await startExampleApp({
    command: process.execPath,
    args: ['dist/server.js'],
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { SUPEROFFICE_WEBHOOK_SECRET: secret, METRICS_PORT: String(metricsPort) },
  })
  try {
    for (const event of [createTestEvent('sale.sold'), createTestEvent('contact.created')]) {
      const { body, headers } = signedPayload(event, { secret })
      expect((await fetch(`${app.url}/webhooks/superoffice`, { method: 'POST', body, headers })).status).toBe(200)
    }
    const refused = signedPayload(createTestEvent('sale.sold'), { secret: 'not the secret' })
    await fetch(`${app.url}/webhooks/superoffice`, { method: 'POST', body: refused.body, headers: refused.headers })
    const scrape = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
    expect(scrape).toMatch(
      /superoffice_webhook_deliveries_total\{[^}]*superoffice_outcome="handled"[^}]*superoffice_event="sale\.sold"[^}]*\} 1/,
    )
    expect(scrape).toMatch(
      /superoffice_webhook_deliveries_total\{[^}]*superoffice_outcome="signature_invalid"[^}]*\} 1/,
    )
    expect(scrape).toMatch(
      /superoffice_webhook_duration(_milliseconds)?_count\{[^}]*superoffice_outcome="handled"[^}]*\} 2/,
    )
  } finally {
    await app.stop()
  }
})
