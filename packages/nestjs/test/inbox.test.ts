import 'reflect-metadata'
import { type INestApplication, Injectable, Module } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { createBullMQInbox } from '@superoffice-webhooks/bullmq'
import type { SuperOfficeEvent } from '@superoffice-webhooks/core'
import { hasRedis, startRedisServer, type TestRedisServer } from '@superoffice-webhooks/test-utils/servers'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OnSuperOfficeEvent, SuperOfficeWebhooksModule } from '../src/index.js'

const secret = 'nest-inbox-secret'
const handled: { by: string; id: string }[] = []

@Injectable()
class SalesService {
  @OnSuperOfficeEvent('sale.sold')
  onSold(event: SuperOfficeEvent<'sale.sold'>) {
    handled.push({ by: 'onSold', id: event.EventId })
  }
}

let redis: TestRedisServer
beforeAll(async () => {
  if (hasRedis) redis = await startRedisServer()
})
afterAll(async () => {
  await redis?.stop()
})

async function boot(queueName: string, worker: boolean): Promise<{ app: INestApplication; url: string }> {
  @Module({
    imports: [
      SuperOfficeWebhooksModule.forRoot({
        secret,
        inbox: createBullMQInbox({ connection: redis.url, queueName, logger: false }),
        worker,
      }),
    ],
    providers: [SalesService],
  })
  class AppModule {}
  const app = await NestFactory.create(AppModule, { rawBody: true, logger: false })
  await app.listen(0, '127.0.0.1')
  return { app, url: `${(await app.getUrl()).replace('[::1]', '127.0.0.1')}/webhooks/superoffice` }
}

const until = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 100; i++) {
    if (check()) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe.runIf(hasRedis)('SuperOfficeWebhooksModule with a BullMQ inbox', () => {
  it('queues each delivery (200 queued) and runs @OnSuperOfficeEvent methods in the worker', async () => {
    const { app, url } = await boot('nest-inbox', true)
    try {
      const event = createTestEvent('sale.sold')
      const { body, headers } = signedPayload(event, { secret })
      const response = await fetch(url, { method: 'POST', body, headers })
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({ ok: true, queued: true })
      await until(() => handled.some((h) => h.id === event.EventId), 'the worker')
    } finally {
      await app.close() // closes the worker and the queue: no open handle keeps the test alive
    }
  })

  it('worker: false receives only; another instance with a worker runs the handler', async () => {
    const receiverOnly = await boot('nest-split', false)
    const event = createTestEvent('sale.sold')
    try {
      const { body, headers } = signedPayload(event, { secret })
      expect((await fetch(receiverOnly.url, { method: 'POST', body, headers })).status).toBe(200)
      await new Promise((r) => setTimeout(r, 500))
      expect(handled.some((h) => h.id === event.EventId)).toBe(false)
      const inbox = createBullMQInbox({ connection: redis.url, queueName: 'nest-split' })
      expect((await inbox.stats()).waiting).toBe(1)
      await inbox.close()
    } finally {
      await receiverOnly.app.close()
    }
    const worker = await boot('nest-split', true)
    try {
      await until(() => handled.some((h) => h.id === event.EventId), 'the second instance')
    } finally {
      await worker.app.close()
    }
  })
})
