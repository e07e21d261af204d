import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type ContractServer,
  runAdapterContract,
  runTenantStatusContract,
} from '@superoffice-webhooks/test-utils/contract'
import { H3 } from 'h3'
import { toNodeHandler } from 'h3/node'
import { createApp, createRouter, toNodeListener } from 'h3v1'
import { callNodeRequestHandler } from 'node-mock-http'
import { defineSuperOfficeWebhookHandler } from '../src/index.js'

async function listen(listener: RequestListener): Promise<ContractServer> {
  const server = createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

runAdapterContract({
  name: 'h3 v2 (Nitro 3)',
  start(webhooks, path) {
    const app = new H3().all(path, defineSuperOfficeWebhookHandler(webhooks))
    return listen(toNodeHandler(app) as RequestListener)
  },
})

runAdapterContract({
  name: 'h3 v1 (Nuxt 4, Nitro 2)',
  start(webhooks, path) {
    const app = createApp()
    app.use(createRouter().use(path, defineSuperOfficeWebhookHandler(webhooks)))
    return listen(toNodeListener(app))
  },
})

// Nitro 2 on serverless presets (and its local fetch) hands the app a mocked request built by
// node-mock-http: the body is in req.body and the stream never emits. A real HTTP front reads each
// request and calls the h3 v1 app the way those presets do.
runAdapterContract({
  name: 'h3 v1 behind node-mock-http (Nitro 2 serverless presets)',
  start(webhooks, path) {
    const app = createApp()
    app.use(createRouter().use(path, defineSuperOfficeWebhookHandler(webhooks)))
    const nodeHandler = toNodeListener(app)
    return listen(async (req, res) => {
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      const body = Buffer.concat(chunks)
      const answer = await callNodeRequestHandler(
        nodeHandler as unknown as Parameters<typeof callNodeRequestHandler>[0],
        {
          method: req.method,
          url: req.url,
          headers: req.headers as Record<string, string>,
          ...(body.byteLength > 0 ? { body } : {}),
        },
      )
      res.writeHead(answer.status, answer.headers as Record<string, string>).end(answer.body)
    })
  },
})

// The tenant status receiver through the same handler, on both majors.
runTenantStatusContract({
  name: 'h3 v2 (Nitro 3)',
  start(receiver, path) {
    const app = new H3().all(path, defineSuperOfficeWebhookHandler(receiver))
    return listen(toNodeHandler(app) as RequestListener)
  },
})

runTenantStatusContract({
  name: 'h3 v1 (Nuxt 4, Nitro 2)',
  start(receiver, path) {
    const app = createApp()
    app.use(createRouter().use(path, defineSuperOfficeWebhookHandler(receiver)))
    return listen(toNodeListener(app))
  },
})
