import { Module } from '@nestjs/common'
import { ConfigModule, ConfigService } from '@nestjs/config'
import { APP_GUARD } from '@nestjs/core'
import { SkipThrottle, ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler'
import {
  createSuperOfficeApi,
  createSuperOfficeTenantStatus,
  superOfficeApiOptionsFromEnv,
} from '@superoffice-webhooks/api'
import { createBullMQInbox } from '@superoffice-webhooks/bullmq'
import { SuperOfficeWebhooksModule } from '@superoffice-webhooks/nestjs'
import { AppController } from './app.controller'
import { AuthGuard, Public } from './auth.guard'
import { EventLogService } from './event-log.service'
import { InboxBoard, InboxBoardModule } from './inbox-board'
import { SalesService } from './sales.service'

/** The API client and the tenant status receiver, from the environment. */
function online() {
  const options = superOfficeApiOptionsFromEnv()
  const api = options ? createSuperOfficeApi(options) : undefined
  const tenantStatus = createSuperOfficeTenantStatus({
    environment: options?.environment ?? 'online',
    applicationId: process.env.SUPEROFFICE_CLIENT_ID,
    api,
  })
  tenantStatus.on('*', (n) => console.log(`superoffice tenant-status ${n.ChangeName} ${n.ContextIdentifier}`))
  return { ...(api ? { api } : {}), tenantStatus }
}

@Module({
  imports: [
    ConfigModule.forRoot(),
    // A global rate limit, as many apps have: 20 requests a minute per client.
    ThrottlerModule.forRoot([{ ttl: 60_000, limit: 20 }]),
    // The inbox page (bull-board) at /admin/inbox, behind a sign-in (INBOX_BOARD_PASSWORD): src/inbox-board.ts.
    InboxBoardModule,
    // Config-driven: the secret comes from SUPEROFFICE_WEBHOOK_SECRET through ConfigService.
    SuperOfficeWebhooksModule.forRootAsync({
      path: 'webhooks/superoffice',
      // SuperOffice signs its deliveries and sends bursts during bulk updates: the webhook route is
      // opted out of the app's auth guard and rate limit (each refusal counts towards the nine
      // failures that disable the webhook).
      controllerDecorators: [Public(), SkipThrottle()],
      // SuperOffice's tenant status webhook on its own route, with the same decorators.
      tenantStatusPath: 'superoffice/tenant-status',
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        secret: config.getOrThrow<string>('SUPEROFFICE_WEBHOOK_SECRET'),
        // SuperOffice Online (SUPEROFFICE_APP_TOKEN, SUPEROFFICE_PRIVATE_KEY[_FILE],
        // SUPEROFFICE_SYSTEM_USER_TOKEN, SUPEROFFICE_ENVIRONMENT): handlers get context.fetchEntity().
        ...online(),
        // Inbox mode (REDIS_URL and SUPEROFFICE_INBOX=bullmq): deliveries are queued in BullMQ and
        // answered once stored; the @OnSuperOfficeEvent handlers run in this app's worker
        // (SUPEROFFICE_WORKER=0 for a receiver-only instance).
        ...(config.get<string>('SUPEROFFICE_INBOX') === 'bullmq'
          ? {
              inbox: createBullMQInbox({ connection: config.getOrThrow<string>('REDIS_URL') }),
              worker: config.get<string>('SUPEROFFICE_WORKER') !== '0',
            }
          : {}),
      }),
    }),
  ],
  controllers: [AppController],
  providers: [
    SalesService,
    EventLogService,
    InboxBoard,
    { provide: APP_GUARD, useClass: ThrottlerGuard },
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
})
export class AppModule {}
