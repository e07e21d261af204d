// #region readme
// main.ts: the signature is over the raw bytes, so raw body must be on
import { NestFactory } from '@nestjs/core'
import { AppModule } from './nest-module.js'

const app = await NestFactory.create(AppModule, { rawBody: true })
// Fastify: NestFactory.create(AppModule, new FastifyAdapter(), { rawBody: true })
await app.listen(3000)
// #endregion readme
