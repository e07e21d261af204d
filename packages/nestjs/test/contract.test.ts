import 'reflect-metadata'
import { Module } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { runAdapterContract } from '@superoffice-webhooks/adapter-contract'
import type { SuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { SuperOfficeWebhooksModule } from '../src/index.js'

function appModule(webhooks: SuperOfficeWebhooks, path: string) {
  @Module({ imports: [SuperOfficeWebhooksModule.forRoot({ webhooks, path })] })
  class AppModule {}
  return AppModule
}

// Nest parses JSON before the route runs: malformed JSON and bodies over its parser limit are
// answered by Nest (400, 413), with its own body.
runAdapterContract({
  name: 'nestjs 12, express',
  frameworkParsesBody: true,
  async start(webhooks, path) {
    const app = await NestFactory.create(appModule(webhooks, path), { rawBody: true, logger: false })
    await app.listen(0, '127.0.0.1')
    return { url: (await app.getUrl()).replace('[::1]', '127.0.0.1'), close: () => app.close() }
  },
})

runAdapterContract({
  name: 'nestjs 12, fastify',
  frameworkParsesBody: true,
  async start(webhooks, path) {
    const app = await NestFactory.create(appModule(webhooks, path), new FastifyAdapter(), {
      rawBody: true,
      logger: false,
    })
    await app.listen(0, '127.0.0.1')
    return { url: (await app.getUrl()).replace('[::1]', '127.0.0.1'), close: () => app.close() }
  },
})
