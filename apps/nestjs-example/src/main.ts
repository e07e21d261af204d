import 'reflect-metadata'
import { NestFactory } from '@nestjs/core'
import { AppModule } from './app.module'

async function bootstrap() {
  if (!process.env.SUPEROFFICE_WEBHOOK_SECRET) {
    console.error('nestjs-example: set SUPEROFFICE_WEBHOOK_SECRET to the secret of your SuperOffice webhook.')
    process.exit(1)
  }
  // rawBody: the signature is over the exact bytes SuperOffice sent.
  const app = await NestFactory.create(AppModule, { rawBody: true, logger: ['error', 'warn', 'log'] })
  app.enableShutdownHooks()
  await app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '0.0.0.0')
}
void bootstrap()
