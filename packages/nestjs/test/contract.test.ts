import 'reflect-metadata'
import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  Module,
  SetMetadata,
  VERSION_NEUTRAL,
  Version,
  VersioningType,
} from '@nestjs/common'
import { APP_GUARD, NestFactory, Reflector } from '@nestjs/core'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import type { SuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { runAdapterContract, runTenantStatusContract } from '@superoffice-webhooks/test-utils/contract'
import { describe, expect, it } from 'vitest'
import { SuperOfficeWebhooksModule } from '../src/index.js'

function appModule(webhooks: SuperOfficeWebhooks, path: string) {
  @Module({ imports: [SuperOfficeWebhooksModule.forRoot({ webhooks, path })] })
  class AppModule {}
  return AppModule
}

// The module keeps its route's body away from Nest's parsers and core's receive reads it, so on
// Express and on Fastify every row of the contract is answered by the pipeline, bodies included.
// The tenant status receiver on its own route (tenantStatusPath), next to the webhook route.
for (const platform of ['express', 'fastify'] as const) {
  runTenantStatusContract({
    name: `nestjs 12, ${platform}`,
    async start(tenantStatus, path) {
      @Module({
        imports: [SuperOfficeWebhooksModule.forRoot({ secret: 'nest-secret', tenantStatus, tenantStatusPath: path })],
      })
      class TenantStatusModule {}
      const app =
        platform === 'express'
          ? await NestFactory.create(TenantStatusModule, { logger: false })
          : await NestFactory.create(TenantStatusModule, new FastifyAdapter(), { logger: false })
      await app.listen(0, '127.0.0.1')
      return { url: (await app.getUrl()).replace('[::1]', '127.0.0.1'), close: () => app.close() }
    },
  })
}

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
  async start(webhooks, path) {
    const app = await NestFactory.create(appModule(webhooks, path), new FastifyAdapter(), {
      rawBody: true,
      logger: false,
    })
    await app.listen(0, '127.0.0.1')
    return { url: (await app.getUrl()).replace('[::1]', '127.0.0.1'), close: () => app.close() }
  },
})

// The same contract in an app as many are deployed: a global auth guard that refuses anything not
// marked public, URI versioning with a default version, and the webhook route opted out of both.
const IS_PUBLIC = 'isPublic'
@Injectable()
class AuthGuard implements CanActivate {
  constructor(@Inject(Reflector) private readonly reflector: Reflector) {}
  canActivate(context: ExecutionContext): boolean {
    return this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]) === true
  }
}

for (const platform of ['express', 'fastify'] as const) {
  runAdapterContract({
    name: `nestjs 12, ${platform}, with a global auth guard and URI versioning`,
    async start(webhooks, path) {
      @Module({
        imports: [
          SuperOfficeWebhooksModule.forRoot({
            webhooks,
            path,
            controllerDecorators: [SetMetadata(IS_PUBLIC, true), Version(VERSION_NEUTRAL)],
          }),
        ],
        providers: [{ provide: APP_GUARD, useClass: AuthGuard }],
      })
      class GuardedModule {}
      const app =
        platform === 'express'
          ? await NestFactory.create(GuardedModule, { logger: false })
          : await NestFactory.create(GuardedModule, new FastifyAdapter(), { logger: false })
      app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' })
      await app.listen(0, '127.0.0.1')
      return { url: (await app.getUrl()).replace('[::1]', '127.0.0.1'), close: () => app.close() }
    },
  })
}

describe('tenantStatusPath without a tenantStatus receiver', () => {
  it('fails at boot, naming the option', async () => {
    @Module({ imports: [SuperOfficeWebhooksModule.forRoot({ secret: 'nest-secret', tenantStatusPath: true })] })
    class MissingModule {}
    await expect(NestFactory.create(MissingModule, { logger: false, abortOnError: false })).rejects.toThrow(
      /tenantStatusPath 'superoffice\/tenant-status' needs the tenantStatus option/,
    )
  })
})
