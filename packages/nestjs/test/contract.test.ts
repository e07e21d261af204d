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

// The module reads its own route's raw bytes before Nest's parsers, so on Express every row of
// the contract is answered by the pipeline, bodies included. On Fastify a body over the limit is
// refused by Fastify itself (413, its own body), before the upload is read.
runAdapterContract({
  name: 'nestjs 12, express',
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
