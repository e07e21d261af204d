import 'reflect-metadata'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Injectable, Module } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { OnSuperOfficeEvent, SuperOfficeWebhooksModule } from '@superoffice-webhooks/nestjs'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'

// Nest 12 is ESM-only; this loads the package's ESM build with it on this Node (20). Decorators
// are applied as functions: plain JavaScript has no decorator syntax.
test('the Nest module on NestJS 12 (ESM) serves a signed event', async () => {
  const seen = []
  class Sales {
    onSold(event) {
      seen.push(event.EventId)
    }
  }
  const descriptor = Object.getOwnPropertyDescriptor(Sales.prototype, 'onSold')
  OnSuperOfficeEvent('sale.sold')(Sales.prototype, 'onSold', descriptor)
  Injectable()(Sales)
  class AppModule {}
  Module({ imports: [SuperOfficeWebhooksModule.forRoot({ secret: 's' })], providers: [Sales] })(AppModule)

  const app = await NestFactory.create(AppModule, { rawBody: true, logger: false })
  await app.listen(0, '127.0.0.1')
  try {
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1')
    const event = createTestEvent('sale.sold')
    const { body, headers } = signedPayload(event, { secret: 's' })
    const response = await fetch(`${url}/webhooks/superoffice`, { method: 'POST', body, headers })
    assert.equal(response.status, 200)
    assert.deepEqual(seen, [event.EventId])
  } finally {
    await app.close()
  }
})
