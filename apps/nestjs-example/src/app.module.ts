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
      }),
    }),
  ],
  controllers: [AppController],
  providers: [SalesService, EventLogService],
})
export class AppModule {}
