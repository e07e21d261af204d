// One server for the HTTP benchmark, in its own process: `node src/http-server.ts <framework> <bare|limit|adapter>`.
// Prints the port once it listens. The bare route reads the raw body and answers 200: the floor
// the adapter's route is compared with.
import 'reflect-metadata'
import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Controller, HttpCode, Module, Post, Req } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { readRawBody } from '@superoffice-webhooks/core/adapter'
import { defineSuperOfficeWebhookHandler } from '@superoffice-webhooks/h3'
import { superOfficeWebhooks } from '@superoffice-webhooks/koa'
import { SuperOfficeWebhooksModule } from '@superoffice-webhooks/nestjs'
import { H3 } from 'h3'
import { toNodeHandler } from 'h3/node'
import { createApp, createRouter, defineEventHandler, readRawBody as readRawBodyV1, toNodeListener } from 'h3v1'
import Koa from 'koa'
import { SECRET } from './bodies.ts'

export const PATH = '/webhooks/superoffice'
const [framework, mode] = process.argv.slice(2)
const webhooks = createSuperOfficeWebhooks({ secret: SECRET, logger: false })
let handled = 0
webhooks.on('sale.created', () => {
  handled++
})

// The parent resets the counters after its warm-up (SIGUSR2) and reads them at the end (SIGTERM):
// server CPU time per request, which a load generator sharing the machine cannot distort.
let requests = 0
let cpuAtReset = process.cpuUsage()
process.on('SIGUSR2', () => {
  requests = 0
  handled = 0
  cpuAtReset = process.cpuUsage()
  console.log('reset')
})
process.on('SIGTERM', () => {
  const cpu = process.cpuUsage(cpuAtReset)
  console.log(JSON.stringify({ requests, handled, cpuMicros: cpu.user + cpu.system }))
  process.exit(0)
})
const count = (server: Server) => server.on('request', () => requests++)

/** The `limit` route's work on top of reading the body: what no receiver can skip. */
function limitWork(body: Uint8Array, signature: unknown): void {
  const expected = createHmac('sha256', SECRET).update(body).digest()
  if (typeof signature !== 'string' || !timingSafeEqual(expected, Buffer.from(signature, 'base64'))) {
    throw new Error('bad signature')
  }
  JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'))
}
const limit = mode === 'limit'

async function listen(listener: RequestListener): Promise<number> {
  const server = createServer(listener)
  count(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

async function start(): Promise<number> {
  switch (framework) {
    case 'koa': {
      const app = new Koa()
      if (mode === 'adapter') app.use(superOfficeWebhooks(webhooks, { path: PATH }))
      else {
        app.use(async (ctx) => {
          const body = await readRawBody(ctx.req, { limit: 1024 * 1024 })
          if (limit) limitWork(body, ctx.headers['x-superoffice-signature'])
          ctx.body = { ok: true }
        })
      }
      return listen(app.callback())
    }
    case 'h3-v2': {
      const handler =
        mode === 'adapter'
          ? defineSuperOfficeWebhookHandler(webhooks)
          : async (event: { req: Request }) => {
              const body = new Uint8Array(await event.req.arrayBuffer())
              if (limit) limitWork(body, event.req.headers.get('x-superoffice-signature'))
              return { ok: true }
            }
      return listen(toNodeHandler(new H3().post(PATH, handler)) as RequestListener)
    }
    case 'h3-v1': {
      const handler =
        mode === 'adapter'
          ? defineSuperOfficeWebhookHandler(webhooks)
          : defineEventHandler(async (event) => {
              const body = await readRawBodyV1(event, false)
              if (limit) limitWork(body ?? new Uint8Array(), event.node.req.headers['x-superoffice-signature'])
              return { ok: true }
            })
      return listen(toNodeListener(createApp().use(createRouter().post(PATH, handler))))
    }
    case 'nest-express':
    case 'nest-fastify': {
      let module: new () => unknown
      if (mode === 'adapter') {
        module = class AppModule {}
        Module({ imports: [SuperOfficeWebhooksModule.forRoot({ webhooks })] })(module)
      } else {
        // The same route by hand, with decorators applied as functions (type stripping has none).
        class BareController {
          receive(req: { rawBody?: Buffer; headers: Record<string, unknown> }) {
            if (limit) limitWork(req.rawBody ?? new Uint8Array(), req.headers['x-superoffice-signature'])
            return { ok: req.rawBody !== undefined }
          }
        }
        const descriptor = Object.getOwnPropertyDescriptor(BareController.prototype, 'receive') as PropertyDescriptor
        Req()(BareController.prototype, 'receive', 0)
        HttpCode(200)(BareController.prototype, 'receive', descriptor)
        Post()(BareController.prototype, 'receive', descriptor)
        Controller(PATH)(BareController)
        module = class AppModule {}
        Module({ controllers: [BareController] })(module)
      }
      const app =
        framework === 'nest-express'
          ? await NestFactory.create(module, { rawBody: true, logger: ['error'] })
          : await NestFactory.create(module, new FastifyAdapter(), { rawBody: true, logger: ['error'] })
      count(app.getHttpServer())
      await app.listen(0, '127.0.0.1')
      return Number(new URL(await app.getUrl()).port)
    }
    default:
      throw new Error(`unknown framework ${framework}`)
  }
}

console.log(await start())
