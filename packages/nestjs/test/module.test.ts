import 'reflect-metadata'
import { type INestApplication, Inject, Injectable, Logger, Module } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import type { SuperOfficeEvent, SuperOfficeEventContext, SuperOfficeEventFor } from '@superoffice-webhooks/core'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { OnSuperOfficeEvent, SUPEROFFICE_WEBHOOKS, SuperOfficeWebhooksModule } from '../src/index.js'

const secret = 'nest-secret'

@Injectable()
class Recorder {
  readonly calls: { by: string; id: string | undefined; tenant?: string | undefined }[] = []
}

@Injectable()
class SalesService {
  constructor(@Inject(Recorder) private readonly recorder: Recorder) {}

  @OnSuperOfficeEvent('sale.sold')
  onSold(event: SuperOfficeEvent<'sale.sold'>, context: SuperOfficeEventContext) {
    this.recorder.calls.push({ by: 'SalesService.onSold', id: event.EventId, tenant: context.tenant })
  }

  @OnSuperOfficeEvent('sale.*')
  onAnySale(event: SuperOfficeEventFor<'sale.*'>) {
    this.recorder.calls.push({ by: 'SalesService.onAnySale', id: event.EventId })
  }

  @OnSuperOfficeEvent('quote.approved', 'quote.rejected')
  onQuote(event: SuperOfficeEvent<'quote.approved' | 'quote.rejected'>) {
    this.recorder.calls.push({ by: `SalesService.onQuote:${event.Event}`, id: event.EventId })
  }

  @OnSuperOfficeEvent('contact.created')
  failing() {
    throw new Error('CRM sync exploded')
  }
}

@Injectable()
class AuditService {
  constructor(@Inject(Recorder) private readonly recorder: Recorder) {}

  @OnSuperOfficeEvent('sale.sold')
  audit(event: SuperOfficeEvent<'sale.sold'>) {
    this.recorder.calls.push({ by: 'AuditService.audit', id: event.EventId })
  }

  @OnSuperOfficeEvent('*')
  everything(event: SuperOfficeEventFor<'*'>) {
    this.recorder.calls.push({ by: 'AuditService.everything', id: event.EventId })
  }
}

@Injectable()
class SettingsService {
  readonly webhookSecret = secret
}

@Module({ providers: [SettingsService], exports: [SettingsService] })
class SettingsModule {}

const apps: INestApplication[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
  vi.restoreAllMocks()
})

async function boot(
  platform: 'express' | 'fastify',
  module: unknown,
  options: { rawBody?: boolean; prefix?: string } = {},
): Promise<{ app: INestApplication; url: string; recorder: Recorder }> {
  const app =
    platform === 'express'
      ? await NestFactory.create(module as never, { rawBody: options.rawBody ?? true, logger: false })
      : await NestFactory.create(module as never, new FastifyAdapter(), {
          rawBody: options.rawBody ?? true,
          logger: false,
        })
  if (options.prefix) app.setGlobalPrefix(options.prefix)
  apps.push(app)
  await app.listen(0, '127.0.0.1')
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1')
  return { app, url, recorder: app.get(Recorder) }
}

function post(url: string, event: object) {
  const { body, headers } = signedPayload(event, { secret })
  return fetch(url, { method: 'POST', body, headers })
}

for (const platform of ['express', 'fastify'] as const) {
  describe(`SuperOfficeWebhooksModule on ${platform}`, () => {
    it('forRoot: finds @OnSuperOfficeEvent methods on any provider; several handlers of one event all run', async () => {
      @Module({
        imports: [SuperOfficeWebhooksModule.forRoot({ secret })],
        providers: [Recorder, SalesService, AuditService],
      })
      class AppModule {}
      const { url, recorder } = await boot(platform, AppModule)
      const sold = createTestEvent('sale.sold', { ContextIdentifier: 'Cust5' })
      const response = await post(`${url}/webhooks/superoffice`, sold)
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({ ok: true })
      expect(
        recorder.calls
          .filter((c) => c.id === sold.EventId)
          .map((c) => c.by)
          .sort(),
      ).toEqual(['AuditService.audit', 'AuditService.everything', 'SalesService.onAnySale', 'SalesService.onSold'])
      expect(recorder.calls.find((c) => c.by === 'SalesService.onSold')?.tenant).toBe('Cust5')
      const quote = createTestEvent('quote.rejected')
      expect((await post(`${url}/webhooks/superoffice`, quote)).status).toBe(200)
      expect(recorder.calls.some((c) => c.by === 'SalesService.onQuote:quote.rejected')).toBe(true)
    })

    it("the module keeps its route away from the app's parsers, yet handlers see the request's own Content-Type", async () => {
      const seen: (string | undefined)[] = []
      @Injectable()
      class HeaderService {
        @OnSuperOfficeEvent('sale.sold')
        onSold(_event: SuperOfficeEvent<'sale.sold'>, context: SuperOfficeEventContext) {
          seen.push(context.header('content-type'))
        }
      }
      @Module({ imports: [SuperOfficeWebhooksModule.forRoot({ secret })], providers: [Recorder, HeaderService] })
      class AppModule {}
      const { url } = await boot(platform, AppModule, { rawBody: false })
      const event = createTestEvent('sale.sold')
      const { body, headers } = signedPayload(event, { secret })
      const own = Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'content-type'))
      const response = await fetch(`${url}/webhooks/superoffice`, {
        method: 'POST',
        body,
        headers: { ...own, 'content-type': 'application/json; charset=utf-8' },
      })
      expect(response.status).toBe(200)
      expect(seen).toEqual(['application/json; charset=utf-8'])
    })

    it('forRootAsync with imports/inject/useFactory, a custom path and the global prefix', async () => {
      @Module({
        imports: [
          SuperOfficeWebhooksModule.forRootAsync({
            path: 'hooks/so',
            imports: [SettingsModule],
            inject: [SettingsService],
            useFactory: (settings: SettingsService) => ({ secret: settings.webhookSecret }),
          }),
        ],
        providers: [Recorder, SalesService],
      })
      class AppModule {}
      const { url, recorder } = await boot(platform, AppModule, { prefix: 'api' })
      const sold = createTestEvent('sale.sold')
      expect((await post(`${url}/api/hooks/so`, sold)).status).toBe(200)
      expect(recorder.calls.some((c) => c.id === sold.EventId)).toBe(true)
      expect((await post(`${url}/hooks/so`, createTestEvent('sale.sold'))).status).toBe(404)
      const forged = signedPayload(createTestEvent('sale.sold'), { secret: 'not-the-configured-secret' })
      expect((await fetch(`${url}/api/hooks/so`, { method: 'POST', ...forged })).status).toBe(401)
    })

    it('a failing handler answers 500 without its message, through Nest’s logger', async () => {
      const errors: unknown[] = []
      vi.spyOn(Logger.prototype, 'error').mockImplementation((...args: unknown[]) => void errors.push(args))
      @Module({ imports: [SuperOfficeWebhooksModule.forRoot({ secret })], providers: [Recorder, SalesService] })
      class AppModule {}
      const { url } = await boot(platform, AppModule)
      const response = await post(`${url}/webhooks/superoffice`, createTestEvent('contact.created'))
      expect(response.status).toBe(500)
      const text = await response.text()
      expect(JSON.parse(text)).toMatchObject({ ok: false, error: 'handler_failed' })
      expect(text).not.toContain('exploded')
      expect(JSON.stringify(errors)).toContain('handler_failed')
    })

    it('without { rawBody: true } too: the module reads its own route before any parser', async () => {
      @Module({ imports: [SuperOfficeWebhooksModule.forRoot({ secret })], providers: [Recorder, SalesService] })
      class AppModule {}
      const { url, recorder } = await boot(platform, AppModule, { rawBody: false })
      const event = createTestEvent('sale.sold')
      const response = await post(`${url}/webhooks/superoffice`, event)
      expect(response.status).toBe(200)
      expect(recorder.calls.some((c) => c.id === event.EventId)).toBe(true)
    })
  })
}

it('logs at start-up which handler serves which event', async () => {
  const logs: string[] = []
  vi.spyOn(Logger.prototype, 'log').mockImplementation((message: unknown) => void logs.push(String(message)))
  @Module({
    imports: [SuperOfficeWebhooksModule.forRoot({ secret })],
    providers: [Recorder, SalesService, AuditService],
  })
  class AppModule {}
  const app = await NestFactory.create(AppModule, { rawBody: true })
  apps.push(app)
  await app.init()
  expect(logs).toContain('sale.sold -> SalesService.onSold()')
  expect(logs).toContain('quote.approved, quote.rejected -> SalesService.onQuote()')
  expect(logs).toContain('* -> AuditService.everything()')
})

describe('@OnSuperOfficeEvent with { changed }', () => {
  it('runs the method only when one of the fields changed', async () => {
    const ran: string[] = []
    @Injectable()
    class ContactSync {
      @OnSuperOfficeEvent('contact.changed', { changed: ['business_idx'] })
      onBusiness(event: SuperOfficeEvent<'contact.changed'>) {
        ran.push(event.EventId)
      }
    }
    @Module({ imports: [SuperOfficeWebhooksModule.forRoot({ secret })], providers: [ContactSync] })
    class ChangedModule {}
    const app = await NestFactory.create(ChangedModule, { logger: false })
    await app.listen(0, '127.0.0.1')
    try {
      const url = `${(await app.getUrl()).replace('[::1]', '127.0.0.1')}/webhooks/superoffice`
      const business = createTestEvent('contact.changed', { Changes: ['updated', 'business_idx'] })
      const other = createTestEvent('contact.changed', { Changes: ['category_idx'] })
      for (const event of [business, other]) {
        const { body, headers } = signedPayload(event, { secret })
        expect((await fetch(url, { method: 'POST', body, headers })).status).toBe(200)
      }
      expect(ran).toEqual([business.EventId])
    } finally {
      await app.close()
    }
  })
})

describe('isGlobal', () => {
  it('lets a module that does not import it inject the receiver; without it that module cannot', async () => {
    @Injectable()
    class Elsewhere {
      constructor(@Inject(SUPEROFFICE_WEBHOOKS) readonly webhooks: unknown) {}
    }
    @Module({ providers: [Elsewhere], exports: [Elsewhere] })
    class FeatureModule {}
    for (const isGlobal of [true, false]) {
      @Module({ imports: [SuperOfficeWebhooksModule.forRoot({ secret, isGlobal }), FeatureModule] })
      class AppModule {}
      const created = NestFactory.create(AppModule, { logger: false, abortOnError: false })
      if (isGlobal) {
        const app = await created
        apps.push(app)
        await app.init()
        expect(typeof (app.get(Elsewhere).webhooks as { on?: unknown }).on).toBe('function')
      } else {
        await expect(created).rejects.toThrow(/SUPEROFFICE_WEBHOOKS|can't resolve dependencies/i)
      }
    }
  })
})
