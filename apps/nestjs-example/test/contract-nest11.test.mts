import 'reflect-metadata'
import { createRequire } from 'node:module'
import { Module } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import type { SuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { SuperOfficeWebhooksModule } from '@superoffice-webhooks/nestjs'
import { runAdapterContract } from '@superoffice-webhooks/test-utils/contract'
import { expect, it } from 'vitest'

// The package's own tests run the contract on Nest 12; this app holds Nest 11, and its copy of
// @superoffice-webhooks/nestjs (built output, injected) resolves its Nest peers to Nest 11.
it('runs on Nest 11, and so does the adapter package it loads', () => {
  const require = createRequire(import.meta.url)
  expect(require('@nestjs/common/package.json').version).toMatch(/^11\./)
  const fromAdapter = createRequire(require.resolve('@superoffice-webhooks/nestjs'))
  expect(fromAdapter('@nestjs/common/package.json').version).toMatch(/^11\./)
  expect(fromAdapter('@nestjs/core/package.json').version).toMatch(/^11\./)
})

function appModule(webhooks: SuperOfficeWebhooks, path: string) {
  @Module({ imports: [SuperOfficeWebhooksModule.forRoot({ webhooks, path })] })
  class AppModule {}
  return AppModule
}

for (const platform of ['express', 'fastify'] as const) {
  runAdapterContract({
    name: `nestjs 11, ${platform}`,
    frameworkParsesBody: true,
    async start(webhooks, path) {
      const module = appModule(webhooks, path)
      const app =
        platform === 'express'
          ? await NestFactory.create(module, { rawBody: true, logger: false })
          : await NestFactory.create(module, new FastifyAdapter(), { rawBody: true, logger: false })
      await app.listen(0, '127.0.0.1')
      return { url: (await app.getUrl()).replace('[::1]', '127.0.0.1'), close: () => app.close() }
    },
  })
}
