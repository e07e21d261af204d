import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import { createSuperOfficeWebhookClient } from '@superoffice-webhooks/admin'

test('the admin client (ESM and CommonJS) lists webhooks and reports refusals on this Node', async () => {
  const require = createRequire(import.meta.url)
  assert.equal(typeof require('@superoffice-webhooks/admin').createSuperOfficeWebhookClient, 'function')
  const server = createServer((req, res) => {
    if (req.headers.authorization !== 'Bearer t') return res.writeHead(401).end('{"Error":"Unauthorized"}')
    res.writeHead(200, { 'content-type': 'application/json' }).end('[{"WebhookId":1,"Name":"a","State":"Active"}]')
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const baseUrl = `http://127.0.0.1:${server.address().port}/Cust1`
  try {
    const hooks = await createSuperOfficeWebhookClient({ baseUrl, accessToken: 't' }).list()
    assert.equal(hooks[0].Name, 'a')
    await assert.rejects(createSuperOfficeWebhookClient({ baseUrl, accessToken: 'x' }).list(), /401: Unauthorized/)
  } finally {
    server.close()
  }
})
