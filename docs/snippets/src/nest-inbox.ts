import { Module } from '@nestjs/common'

// #region readme
import { createBullMQInbox } from '@superoffice-webhooks/bullmq'
import { SuperOfficeWebhooksModule } from '@superoffice-webhooks/nestjs'

@Module({
  imports: [
    SuperOfficeWebhooksModule.forRootAsync({
      useFactory: () => ({
        secret: process.env.SUPEROFFICE_WEBHOOK_SECRET!,
        // The app builds the inbox; the module starts its worker and closes it on shutdown.
        inbox: createBullMQInbox({ connection: process.env.REDIS_URL! }),
        worker: process.env.SUPEROFFICE_WORKER !== '0' && { concurrency: 10, handlerTimeoutMs: 60_000 },
      }),
    }),
  ],
})
export class AppModule {}
// #endregion readme
