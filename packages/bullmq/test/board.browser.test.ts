// The inbox page (bull-board through superOfficeInboxBoard) in Debian's headless Chromium: a
// sale.sold whose handler failed is listed with its reason; Retry is pressed; the downstream
// receives it once. Read-only by default: no Retry there.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createBullBoard } from '@bull-board/api'
import { KoaAdapter } from '@bull-board/koa'
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import {
  findChromium,
  hasRedis,
  startRedisServer,
  type TestRedisServer,
} from '@superoffice-webhooks/test-utils/servers'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import Koa from 'koa'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type SuperOfficeInboxBoardOptions, superOfficeInboxBoard } from '../src/board.js'
import { type BullMQInbox, createBullMQInbox } from '../src/index.js'
import { secret, until } from './helpers.js'

const browserPath = hasRedis ? findChromium() : undefined
let redis: TestRedisServer
let browser: Browser
beforeAll(async () => {
  if (!browserPath) return
  redis = await startRedisServer()
  browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox'] })
})
afterAll(async () => {
  await browser?.close()
  await redis?.stop()
})

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** The README's Koa recipe: bull-board at /admin/inbox over the inbox, on a server of its own. */
async function mountBoard(inbox: BullMQInbox, options: SuperOfficeInboxBoardOptions = {}) {
  await inbox.ready()
  const board = new KoaAdapter()
  board.setBasePath('/admin/inbox')
  createBullBoard({ queues: [superOfficeInboxBoard(inbox, options)], serverAdapter: board })
  const app = new Koa()
  app.use(board.registerPlugin())
  const server = createServer(app.callback())
  return { server, url: await listen(server) }
}

describe.runIf(browserPath)('the inbox page in a browser', () => {
  it('lists a failed sale.sold with its reason; Retry runs it again and the downstream gets it once', {
    timeout: 120_000,
  }, async () => {
    let failing = true
    const received: string[] = []
    const downstream = createServer((req, res) => {
      let body = ''
      req
        .on('data', (c) => (body += c))
        .on('end', () => {
          if (failing) return res.writeHead(503).end()
          received.push(body)
          res.writeHead(200).end()
        })
    })
    const downstreamUrl = await listen(downstream)
    const inbox = createBullMQInbox({ connection: redis.url, queueName: 'board-actions', attempts: 1, logger: false })
    const webhooks = createSuperOfficeWebhooks({ secret, inbox, logger: false })
    webhooks.on('sale.sold', async function syncSale(event) {
      const response = await fetch(downstreamUrl, { method: 'POST', body: event.EventId })
      if (!response.ok) throw new Error(`downstream answered ${response.status}`)
    })
    const { server, url } = await mountBoard(inbox, { actions: true })
    try {
      await webhooks.start()
      const event = createTestEvent('sale.sold', { ContextIdentifier: 'Cust12345', PrimaryKey: 4711 })
      const { body, headers } = signedPayload(event, { secret })
      expect((await webhooks.handle({ rawBody: body, headers })).status).toBe(200)
      await until(async () => (await inbox.stats()).failed === 1, 20_000, 'the failed job')

      const page = await browser.newPage()
      await page.goto(`${url}/admin/inbox/queue/board-actions?status=failed`)
      const name = `sale.sold Cust12345 #4711 · ${event.EventId}`
      await page.getByText(name).first().waitFor({ timeout: 60_000 })
      await page.getByText('downstream answered 503').first().waitFor({ timeout: 60_000 })
      failing = false
      // The page's retry of the failed jobs, and its confirmation.
      await page.getByRole('button', { name: 'Retry all' }).click()
      await page.getByRole('button', { name: 'Confirm' }).click()
      await until(() => received.length === 1, 20_000, 'the retried job at the downstream')
      await until(async () => (await inbox.stats()).completed === 1, 10_000, 'the job completed')
      expect(received).toEqual([event.EventId])
      await page.close()
    } finally {
      await webhooks.close()
      server.closeAllConnections()
      server.close()
      downstream.close()
    }
  })

  it('read-only by default: the job is shown, no Retry button', { timeout: 180_000 }, async () => {
    const inbox = createBullMQInbox({ connection: redis.url, queueName: 'board-readonly', attempts: 1, logger: false })
    const webhooks = createSuperOfficeWebhooks({ secret, inbox, logger: false })
    webhooks.on('sale.sold', () => {
      throw new Error('always fails')
    })
    const { server, url } = await mountBoard(inbox)
    try {
      await webhooks.start()
      const event = createTestEvent('sale.sold', { ContextIdentifier: 'Cust12345', PrimaryKey: 12 })
      const { body, headers } = signedPayload(event, { secret })
      await webhooks.handle({ rawBody: body, headers })
      await until(async () => (await inbox.stats()).failed === 1, 20_000, 'the failed job')
      const page = await browser.newPage()
      await page.goto(`${url}/admin/inbox/queue/board-readonly?status=failed`)
      await page.getByText(`sale.sold Cust12345 #12 · ${event.EventId}`).first().waitFor({ timeout: 60_000 })
      await page.getByText('always fails').first().waitFor({ timeout: 60_000 })
      expect(await page.getByRole('button', { name: /Retry/ }).count()).toBe(0)
      expect(await page.getByRole('button', { name: /Clean/ }).count()).toBe(0)
      // The retry endpoint itself refuses in read-only mode.
      const jobId = `so/Cust12345/${event.EventId}`
      const refused = await fetch(
        `${url}/admin/inbox/api/queues/board-readonly/${encodeURIComponent(jobId)}/retry/failed`,
        {
          method: 'PUT',
        },
      )
      expect(refused.status).toBeGreaterThanOrEqual(400)
      expect((await inbox.stats()).failed).toBe(1)
      await page.close()
    } finally {
      await webhooks.close()
      server.closeAllConnections()
      server.close()
    }
  })
})
