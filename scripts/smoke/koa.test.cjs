const assert = require('node:assert/strict')
const { test } = require('node:test')
const Koa = require('koa')
const { createSuperOfficeWebhooks } = require('@superoffice-webhooks/core')
const { superOfficeWebhooks } = require('@superoffice-webhooks/koa')
const { createTestEvent, signedPayload } = require('@superoffice-webhooks/testing')

test(`koa adapter (CommonJS) serves a signed event over HTTP on Node ${process.versions.node}`, async () => {
  const webhooks = createSuperOfficeWebhooks({ secret: 's', logger: false })
  const seen = []
  webhooks.on('sale.sold', (event) => seen.push(event.EventId))
  const server = new Koa().use(superOfficeWebhooks(webhooks)).listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  try {
    const event = createTestEvent('sale.sold')
    const { body, headers } = signedPayload(event, { secret: 's' })
    const url = `http://127.0.0.1:${server.address().port}/webhooks/superoffice`
    const response = await fetch(url, { method: 'POST', body, headers })
    assert.equal(response.status, 200)
    assert.deepEqual(seen, [event.EventId])
    assert.equal(
      (await fetch(url, { method: 'POST', body, headers: { ...headers, 'X-SuperOffice-Signature': 'x' } })).status,
      401,
    )
  } finally {
    server.close()
  }
})
