// #region readme
// main.ts: nothing to configure for the webhook (the module keeps its route's raw bytes away
// from Nest's body parsers), and enableShutdownHooks lets the module drain on SIGTERM.
import { NestFactory } from '@nestjs/core'
import { AppModule } from './app.module'

async function bootstrap() {
  const app = await NestFactory.create(AppModule) // or: NestFactory.create(AppModule, new FastifyAdapter())
  app.enableShutdownHooks()
  await app.listen(process.env.PORT ?? 3000)
}
void bootstrap()
// #endregion readme
