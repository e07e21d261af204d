// The README's test, run for real against a receiver like the one an app exports.
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'

process.env.SUPEROFFICE_WEBHOOK_SECRET ??= 'snippet-secret'
const won: number[] = []
const webhooks = createSuperOfficeWebhooks({ secret: process.env.SUPEROFFICE_WEBHOOK_SECRET, logger: false })
webhooks.on('sale.sold', (event) => {
  won.push(event.PrimaryKey)
})

// #region readme
import { createTestEvent, signedRequest } from '@superoffice-webhooks/testing'
import { expect, it } from 'vitest'

it('marks a sale as won', async () => {
  const event = createTestEvent('sale.sold', { PrimaryKey: 42, ContextIdentifier: 'Cust123' })
  const response = await webhooks.handleRequest(
    signedRequest(event, {
      secret: process.env.SUPEROFFICE_WEBHOOK_SECRET!,
      url: 'http://localhost/webhooks/superoffice',
    }),
  )
  expect(response.status).toBe(200)
})
// #endregion readme

it('ran the handler', () => {
  expect(won).toEqual([42])
})
