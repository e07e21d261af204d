import { Inject, Logger, Module } from '@nestjs/common'
import { DiscoveryModule } from '@nestjs/core'
import { createSuperOfficeWebhooks, type SuperOfficeInbox, type SuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { SUPEROFFICE_INBOX, SUPEROFFICE_WEBHOOKS } from './constants.js'
import { SuperOfficeWebhooksExplorer } from './superoffice-webhooks.explorer.js'
import { SuperOfficeInboxRunner } from './superoffice-webhooks.inbox.js'
import {
  SUPEROFFICE_WEBHOOKS_OPTIONS,
  SuperOfficeWebhooksConfigurableModule,
  type SuperOfficeWebhooksModuleOptions,
} from './superoffice-webhooks.module-definition.js'

const logger = new Logger('SuperOfficeWebhooks')

/**
 * Receives SuperOffice webhooks in a Nest app (Express or Fastify): registers `POST <path>`
 * (default `webhooks/superoffice`, after the global prefix) and dispatches each verified event to
 * the `@OnSuperOfficeEvent` methods of your providers. The app must be created with
 * `{ rawBody: true }`.
 *
 * @example
 * ```ts
 * // app.module.ts
 * @Module({
 *   imports: [
 *     SuperOfficeWebhooksModule.forRootAsync({
 *       imports: [ConfigModule],
 *       inject: [ConfigService],
 *       useFactory: (config: ConfigService) => ({ secret: config.getOrThrow('SUPEROFFICE_WEBHOOK_SECRET') }),
 *     }),
 *   ],
 *   providers: [SalesService],
 * })
 * export class AppModule {}
 *
 * // main.ts
 * const app = await NestFactory.create(AppModule, { rawBody: true })
 * ```
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: SUPEROFFICE_INBOX,
      inject: [SUPEROFFICE_WEBHOOKS_OPTIONS],
      useFactory: (options: SuperOfficeWebhooksModuleOptions) => options.inbox,
    },
    {
      provide: SUPEROFFICE_WEBHOOKS,
      inject: [SUPEROFFICE_WEBHOOKS_OPTIONS, SUPEROFFICE_INBOX],
      useFactory: (
        options: SuperOfficeWebhooksModuleOptions,
        inbox: SuperOfficeInbox | undefined,
      ): SuperOfficeWebhooks => {
        const { webhooks, inbox: _inbox, worker: _worker, ...rest } = options
        if (webhooks) return webhooks
        return createSuperOfficeWebhooks({
          ...rest,
          ...(inbox ? { inbox } : {}),
          logger: {
            warn: (message) => logger.warn(message),
            error: (message, cause) => logger.error(message, cause instanceof Error ? cause.stack : undefined),
          },
        })
      },
    },
    SuperOfficeWebhooksExplorer,
    SuperOfficeInboxRunner,
  ],
  exports: [SUPEROFFICE_WEBHOOKS, SUPEROFFICE_INBOX],
})
export class SuperOfficeWebhooksModule extends SuperOfficeWebhooksConfigurableModule {}

/**
 * Injects the module's `SuperOfficeWebhooks` receiver (to add `onError`, or handlers by code).
 *
 * @example
 * ```ts
 * constructor(@InjectSuperOfficeWebhooks() webhooks: SuperOfficeWebhooks) {
 *   webhooks.onError((error) => this.metrics.count(error.code))
 * }
 * ```
 */
export const InjectSuperOfficeWebhooks = (): PropertyDecorator & ParameterDecorator => Inject(SUPEROFFICE_WEBHOOKS)
