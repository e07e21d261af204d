import { fileURLToPath } from 'node:url'
import { runExampleAppContract, startExampleApp } from '@superoffice-webhooks/test-utils/apps'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { describe, expect, it } from 'vitest'

runExampleAppContract({
  name: 'nestjs-example (Nest 11, CommonJS build with decorator metadata)',
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  entry: 'dist/main.js',
  // The start-up log of which handler serves which event.
  startupLines: [
    /sale\.sold -> SalesService\.onSold\(\)/,
    /sale\.\* -> SalesService\.onSaleEvent\(\)/,
    /\* -> EventLogService\.log\(\)/,
  ],
})

runExampleAppContract({
  name: 'nestjs-example',
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  entry: 'dist/main.js',
  startupLines: [/inbox worker started/],
  inbox: true,
  // src/inbox-board.ts: bull-board's Nest module with the inbox added.
  boardPath: '/admin/inbox',
})

describe('nestjs-example keeps its own guards on its own routes', () => {
  it('an app route without the app token is refused (403), while the webhook route is open to signed deliveries', async () => {
    const app = await startExampleApp({
      command: process.execPath,
      args: ['dist/main.js'],
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { SUPEROFFICE_WEBHOOK_SECRET: 'guarded', APP_TOKEN: 'app-token' },
    })
    try {
      expect((await fetch(`${app.url}/orders`)).status).toBe(403)
      expect((await fetch(`${app.url}/orders`, { headers: { authorization: 'Bearer app-token' } })).status).toBe(200)
      // More deliveries than the rate limit allows a client in a minute: none is throttled.
      for (let i = 0; i < 25; i++) {
        const { body, headers } = signedPayload(createTestEvent('sale.sold'), { secret: 'guarded' })
        const response = await fetch(`${app.url}/webhooks/superoffice`, { method: 'POST', body, headers })
        expect(response.status).toBe(200)
      }
    } finally {
      await app.stop()
    }
  })
})
