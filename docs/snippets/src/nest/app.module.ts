// #region readme
// app.module.ts
import { Module } from '@nestjs/common'
import { ConfigModule, ConfigService } from '@nestjs/config'
import { SuperOfficeWebhooksModule } from '@superoffice-webhooks/nestjs'
import { CrmClient } from './crm.client'
import { SalesService } from './sales.service'

@Module({
  imports: [
    ConfigModule.forRoot(),
    SuperOfficeWebhooksModule.forRootAsync({
      path: 'webhooks/superoffice', // the default; after app.setGlobalPrefix(), if any
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({ secret: config.getOrThrow<string>('SUPEROFFICE_WEBHOOK_SECRET') }),
    }),
  ],
  providers: [SalesService, CrmClient],
})
export class AppModule {}
// #endregion readme
