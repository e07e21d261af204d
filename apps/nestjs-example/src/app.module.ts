import { Module } from '@nestjs/common'
import { ConfigModule, ConfigService } from '@nestjs/config'
import { SuperOfficeWebhooksModule } from '@superoffice-webhooks/nestjs'
import { AppController } from './app.controller'
import { EventLogService } from './event-log.service'
import { SalesService } from './sales.service'

@Module({
  imports: [
    ConfigModule.forRoot(),
    // Config-driven: the secret comes from SUPEROFFICE_WEBHOOK_SECRET through ConfigService.
    SuperOfficeWebhooksModule.forRootAsync({
      path: 'webhooks/superoffice',
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        secret: config.getOrThrow<string>('SUPEROFFICE_WEBHOOK_SECRET'),
        // Inbox mode (REDIS_URL and SUPEROFFICE_INBOX=bullmq): deliveries are queued in BullMQ and
        // answered once stored; the @OnSuperOfficeEvent handlers run in this app's worker
        // (SUPEROFFICE_WORKER=0 for a receiver-only instance).
        ...(config.get<string>('SUPEROFFICE_INBOX') === 'bullmq'
          ? {
              inbox: { connection: config.getOrThrow<string>('REDIS_URL') },
              worker: config.get<string>('SUPEROFFICE_WORKER') !== '0',
            }
          : {}),
      }),
    }),
  ],
  controllers: [AppController],
  providers: [SalesService, EventLogService],
})
export class AppModule {}
