import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { runAdapterContract, runTenantStatusContract } from '@superoffice-webhooks/test-utils/contract'
import express5 from 'express'
import express4 from 'express4'
import { superOfficeWebhooks } from '../src/index.js'

async function listen(server: Server) {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

for (const [name, express] of [
  ['express 5', express5],
  ['express 4', express4 as unknown as typeof express5],
] as const) {
  runAdapterContract({
    name,
    start(webhooks, path) {
      const app = express()
      app.use(superOfficeWebhooks(webhooks, { path }))
      app.use(express.json()) // after the webhook route, as the README says
      return listen(createServer(app))
    },
  })
  runTenantStatusContract({
    name,
    start(receiver, path) {
      const app = express()
      app.use(superOfficeWebhooks(receiver, { path }))
      return listen(createServer(app))
    },
  })
}
