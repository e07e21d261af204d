// Issue 12: NestJS apps as they are deployed: global guards, throttling, versioning, body parser
// settings, request-scoped providers, handlers on controllers.
import 'reflect-metadata'
import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  type INestApplication,
  Inject,
  Injectable,
  Logger,
  Module,
  Scope,
  SetMetadata,
  VERSION_NEUTRAL,
  Version,
  VersioningType,
} from '@nestjs/common'
import { APP_GUARD, NestFactory, Reflector } from '@nestjs/core'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import type { SuperOfficeEvent } from '@superoffice-webhooks/core'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { OnSuperOfficeEvent, SUPEROFFICE_WEBHOOK_ROUTE, SuperOfficeWebhooksModule } from '../src/index.js'

const secret = 'nest-deploy-secret'
const handled: string[] = []

@Injectable()
class SalesService {
  @OnSuperOfficeEvent('sale.sold')
  onSold(event: SuperOfficeEvent<'sale.sold'>) {
    handled.push(event.EventId)
  }
}

const IS_PUBLIC = 'isPublic'
const Public = () => SetMetadata(IS_PUBLIC, true)

/** A global auth guard as real apps have: everything needs a bearer token unless marked public. */
@Injectable()
class AuthGuard implements CanActivate {
  constructor(@Inject(Reflector) private readonly reflector: Reflector) {}
  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()]
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string> }>()
    return request.headers.authorization === 'Bearer app-token'
  }
}

/** A guard that uses the module's own metadata key instead of the app's Public() marker. */
@Injectable()
class WebhookAwareGuard implements CanActivate {
  constructor(@Inject(Reflector) private readonly reflector: Reflector) {}
  canActivate(context: ExecutionContext): boolean {
    return (
      this.reflector.getAllAndOverride<boolean>(SUPEROFFICE_WEBHOOK_ROUTE, [
        context.getHandler(),
        context.getClass(),
      ]) === true
    )
  }
}

const apps: INestApplication[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
  vi.restoreAllMocks()
})

async function boot(
  module: unknown,
  platform: 'express' | 'fastify' = 'express',
  setup?: (app: INestApplication) => void,
) {
  const app =
    platform === 'express'
      ? await NestFactory.create(module as never, { logger: false })
      : await NestFactory.create(module as never, new FastifyAdapter(), { logger: false })
  setup?.(app)
  apps.push(app)
  await app.listen(0, '127.0.0.1')
  return (await app.getUrl()).replace('[::1]', '127.0.0.1')
}

const post = (url: string, body: string, headers: Record<string, string>) =>
  fetch(url, { method: 'POST', body, headers })

for (const platform of ['express', 'fastify'] as const) {
  describe(`NestJS deployments on ${platform}`, () => {
    it('a global auth guard: the route opted out with controllerDecorators [Public()] gets deliveries', async () => {
      @Module({
        imports: [SuperOfficeWebhooksModule.forRoot({ secret, controllerDecorators: [Public()] })],
        providers: [SalesService, { provide: APP_GUARD, useClass: AuthGuard }],
      })
      class AppModule {}
      const url = await boot(AppModule, platform)
      const event = createTestEvent('sale.sold')
      const { body, headers } = signedPayload(event, { secret })
      expect((await post(`${url}/webhooks/superoffice`, body, headers)).status).toBe(200)
      expect(handled).toContain(event.EventId)
    })

    it('a guard can recognise the route by SUPEROFFICE_WEBHOOK_ROUTE metadata', async () => {
      @Module({
        imports: [SuperOfficeWebhooksModule.forRoot({ secret })],
        providers: [SalesService, { provide: APP_GUARD, useClass: WebhookAwareGuard }],
      })
      class AppModule {}
      const url = await boot(AppModule, platform)
      const { body, headers } = signedPayload(createTestEvent('sale.sold'), { secret })
      expect((await post(`${url}/webhooks/superoffice`, body, headers)).status).toBe(200)
    })

    it('URI versioning with a default version: Version(VERSION_NEUTRAL) keeps the route where SuperOffice posts', async () => {
      @Module({
        imports: [SuperOfficeWebhooksModule.forRoot({ secret, controllerDecorators: [Version(VERSION_NEUTRAL)] })],
        providers: [SalesService],
      })
      class AppModule {}
      const url = await boot(AppModule, platform, (app) =>
        app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' }),
      )
      const { body, headers } = signedPayload(createTestEvent('sale.sold'), { secret })
      expect((await post(`${url}/webhooks/superoffice`, body, headers)).status).toBe(200)
    })

    it('the module reads its own bytes: an unknown Content-Encoding or a latin1 charset is no 415, a 200 kB body no 413', async () => {
      @Module({ imports: [SuperOfficeWebhooksModule.forRoot({ secret })], providers: [SalesService] })
      class AppModule {}
      const url = `${await boot(AppModule, platform)}/webhooks/superoffice`
      const odd = signedPayload(createTestEvent('sale.sold'), { secret })
      expect((await post(url, odd.body, { ...odd.headers, 'Content-Encoding': 'foo' })).status).toBe(200)
      const latin = signedPayload(createTestEvent('sale.sold'), { secret })
      const latinType = { ...latin.headers, 'Content-Type': 'application/json; charset=latin1' }
      expect((await post(url, latin.body, latinType)).status).toBe(200)
      const large = signedPayload(createTestEvent('sale.sold', { Padding: 'x'.repeat(200_000) } as never), { secret })
      expect((await post(url, large.body, large.headers)).status).toBe(200)
      // Malformed JSON is answered by the pipeline after the signature check, not by Nest.
      const broken = signedPayload('{"EventId": ', { secret })
      const answer = await post(url, broken.body, broken.headers)
      expect(answer.status).toBe(400)
      expect(await answer.json()).toMatchObject({ error: 'invalid_json' })
    })
  })
}

describe('NestJS handler discovery', () => {
  it('@OnSuperOfficeEvent on a request-scoped provider is refused at boot, with what to do', async () => {
    @Injectable({ scope: Scope.REQUEST })
    class ScopedService {
      @OnSuperOfficeEvent('sale.sold')
      onSold() {}
    }
    @Module({ imports: [SuperOfficeWebhooksModule.forRoot({ secret })], providers: [ScopedService] })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false })
    apps.push(app)
    await expect(app.init()).rejects.toThrow(/ScopedService\.onSold\(\): the provider is request-scoped/)
  })

  it('handlers on controllers are found too, and a failing handler is logged as Class.method()', async () => {
    const errors: string[] = []
    vi.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => void errors.push(String(message)))
    @Controller('orders')
    class OrdersController {
      @OnSuperOfficeEvent('sale.lost')
      onLost() {
        throw new Error('erp down')
      }
    }
    @Module({ imports: [SuperOfficeWebhooksModule.forRoot({ secret })], controllers: [OrdersController] })
    class AppModule {}
    const url = await boot(AppModule)
    const event = createTestEvent('sale.lost')
    const { body, headers } = signedPayload(event, { secret })
    expect((await post(`${url}/webhooks/superoffice`, body, headers)).status).toBe(500)
    expect(errors.join('\n')).toContain(
      `event=sale.lost id=${event.EventId} tenant=Cust12345 handler=OrdersController.onLost`,
    )
  })
})
