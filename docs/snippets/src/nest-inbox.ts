import { Module } from '@nestjs/common'
import { SuperOfficeWebhooksModule } from '@superoffice-webhooks/nestjs'

// #region readme
@Module({
  imports: [
    SuperOfficeWebhooksModule.forRoot({
      secret: process.env.SUPEROFFICE_WEBHOOK_SECRET!,
      inbox: { connection: process.env.REDIS_URL! }, // needs @superoffice-webhooks/bullmq and bullmq
      worker: process.env.SUPEROFFICE_WORKER !== '0', // false on receiver-only instances
    }),
  ],
})
export class AppModule {}
// #endregion readme
