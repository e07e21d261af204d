import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type ContractServer, runAdapterContract } from '@superoffice-webhooks/adapter-contract'
import { H3 } from 'h3'
import { toNodeHandler } from 'h3/node'
import { createApp, createRouter, toNodeListener } from 'h3v1'
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
