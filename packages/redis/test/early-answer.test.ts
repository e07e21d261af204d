import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { superOfficeWebhooks } from '@superoffice-webhooks/koa'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import Koa from 'koa'
import { expect, it } from 'vitest'

it("respond: 'after-claim' answers 200 over HTTP before a slow handler ends; its failure reaches onError", async () => {
  const webhooks = createSuperOfficeWebhooks({ secret: 's', respond: 'after-claim', logger: false })
  const errors: string[] = []
  webhooks.onError((error) => void errors.push(error.code))
  let finished = false
  // The handler waits until the test has its answer: the order is checked, not a duration.
  let release = () => {}
  const gate = new Promise<void>((resolve) => {
    release = resolve
  })
  webhooks.on('sale.sold', async () => {
    await gate
    finished = true
    throw new Error('the ERP was down')
  })
  const server = new Koa().use(superOfficeWebhooks(webhooks)).listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  try {
    const { body, headers } = signedPayload(createTestEvent('sale.sold'), { secret: 's' })
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/webhooks/superoffice`
    const response = await fetch(url, { method: 'POST', body, headers })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ ok: true, deferred: true })
    expect(finished).toBe(false)
    release()
    await webhooks.drain()
    expect(finished).toBe(true)
    expect(errors).toEqual(['handler_failed'])
  } finally {
    server.close()
  }
})
