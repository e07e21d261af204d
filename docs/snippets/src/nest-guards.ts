import { Module, SetMetadata, VERSION_NEUTRAL, Version } from '@nestjs/common'
import { SuperOfficeWebhooksModule } from '@superoffice-webhooks/nestjs'

const Public = () => SetMetadata('isPublic', true)
declare function SkipThrottle(): MethodDecorator

// #region readme
@Module({
  imports: [
    SuperOfficeWebhooksModule.forRoot({
      secret: process.env.SUPEROFFICE_WEBHOOK_SECRET!,
      // Your global auth guard, throttler and versioning leave SuperOffice's route alone
      // (SuperOffice authenticates with its signature; each refusal counts towards the nine
      // failures that disable the webhook).
      controllerDecorators: [Public(), SkipThrottle(), Version(VERSION_NEUTRAL)],
    }),
  ],
})
export class AppModule {}
// #endregion readme
