import type { AddressInfo } from 'node:net'
import { runAdapterContract, runTenantStatusContract } from '@superoffice-webhooks/test-utils/contract'
import Koa3 from 'koa'
import Koa2 from 'koa2'
import { superOfficeWebhooks } from '../src/index.js'

for (const [name, Koa] of [
  ['koa 3', Koa3],
  ['koa 2', Koa2 as unknown as typeof Koa3],
] as const) {
  runAdapterContract({
    name,
    async start(webhooks, path) {
      const app = new Koa()
      app.use(superOfficeWebhooks(webhooks, { path }))
      const server = app.listen(0, '127.0.0.1')
      await new Promise((resolve) => server.once('listening', resolve))
      const { port } = server.address() as AddressInfo
      return {
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
      }
    },
  })
}

// The tenant status receiver (@superoffice-webhooks/api) through the same middleware.
runTenantStatusContract({
  name: 'koa 3',
  async start(receiver, path) {
    const app = new Koa3()
    app.use(superOfficeWebhooks(receiver, { path }))
    const server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    const { port } = server.address() as AddressInfo
    return {
      url: `http://127.0.0.1:${port}`,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    }
  },
})
