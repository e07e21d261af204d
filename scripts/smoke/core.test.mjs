import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createSuperOfficeWebhooks, signPayload, usesNodeCrypto } from '@superoffice-webhooks/core'

test(`core (ESM) runs the pipeline on Node ${process.versions.node}`, async () => {
  assert.ok(['20', '26'].includes(process.versions.node.split('.')[0] ?? ''))
  assert.equal(usesNodeCrypto, true)
  const webhooks = createSuperOfficeWebhooks({ secret: 's', logger: false })
  let seen
  webhooks.on('sale.sold', (event) => {
    seen = event.PrimaryKey
  })
  const body = JSON.stringify({
    EventId: 'e1',
    Timestamp: '2026-01-01T00:00:00Z',
    Changes: [],
    Event: 'sale.sold',
    PrimaryKey: 5,
    Entity: 'sale',
    ContextIdentifier: 'Cust1',
    ChangedByAssociateId: 1,
    WebhookName: 'w',
  })
  const ok = await webhooks.handle({
    rawBody: Buffer.from(body),
    headers: { 'x-superoffice-signature': signPayload(body, 's') },
  })
  assert.equal(ok.status, 200)
  assert.equal(seen, 5)
  // A plain Uint8Array (not a Buffer), as web streams and h3 v2 hand over.
  const plain = await webhooks.handle({
    rawBody: new Uint8Array(new TextEncoder().encode(body.replace('"e1"', '"e2"'))),
    headers: { 'x-superoffice-signature': signPayload(body.replace('"e1"', '"e2"'), 's') },
  })
  assert.equal(plain.status, 200)
  const bad = await webhooks.handle({ rawBody: body, headers: { 'x-superoffice-signature': signPayload(body, 'x') } })
  assert.equal(bad.status, 401)
  const response = await webhooks.handleRequest(
    new Request('http://x/', {
      method: 'POST',
      body: '{',
      headers: { 'x-superoffice-signature': signPayload('{', 's') },
    }),
  )
  assert.equal(response.status, 400)
})

test('core/adapter (ESM) shares its classes with core: one copy of each module', async () => {
  const { SuperOfficeWebhookError } = await import('@superoffice-webhooks/core')
  const { methodNotAllowed } = await import('@superoffice-webhooks/core/adapter')
  assert.ok(methodNotAllowed() instanceof SuperOfficeWebhookError)
})
