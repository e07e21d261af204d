import { generateKeyPairSync } from 'node:crypto'
import {
  createTestEvent,
  type SuperOfficeOnline,
  signedPayload,
  startSuperOfficeOnline,
} from '@superoffice-webhooks/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EVENT_LINE, type ExampleApp, startExampleApp } from './example-app.js'
import { uploadThenRead } from './http.js'
import { hasRedis, startRedisServer, type TestRedisServer } from './redis-server.js'

/**
 * The example apps contract (README: The example apps), run against one app started from its build output: PORT,
 * SUPEROFFICE_WEBHOOK_SECRET, POST /webhooks/superoffice, GET /healthz, one fixed line per event,
 * the typed `sale.sold` handler, a wildcard and a catch-all (seen through GET /stats).
 */
const ONLINE_SYSTEM_USER = 'example-app-system-user'
const BOARD_PASSWORD = 'example-app-board-password'
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

export function runExampleAppContract(options: {
  name: string
  cwd: string
  entry: string
  /** The runtime that runs `entry`: Node's own unless given (a Bun binary…). */
  command?: string
  env?: Record<string, string>
  /** Extra lines the app prints at start-up that must appear (handler maps and the like). */
  startupLines?: RegExp[]
  /**
   * The app reads its secret per request (runtime config): started without one, it must answer
   * 500 and log a message naming the variable to set.
   */
  missingSecretMessage?: RegExp
  /**
   * Run the app in its inbox mode: a redis-server of the suite's own, REDIS_URL and
   * SUPEROFFICE_INBOX=bullmq. Deliveries are then queued and handled by the app's worker.
   */
  inbox?: boolean
  /**
   * The app mounts the inbox page (bull-board) at this path in inbox mode, behind
   * the browser's sign-in: user `inbox`, password `$INBOX_BOARD_PASSWORD` (the suite sets it).
   */
  boardPath?: string
  /**
   * Also send oversize uploads the way a plain client does (the whole body written before the
   * answer is read, declared and chunked, past the limit, 3 MiB and 12 MiB):
   * each must be read as a 413, never a 400 or a reset.
   */
  rawUploads?: boolean
}): void {
  const secret = `${options.name}-secret`
  const title = `${options.name}${options.inbox ? ' in inbox mode (BullMQ on a real redis-server)' : ''}, started from its build`
  describe.runIf(!options.inbox || hasRedis)(title, () => {
    let app: ExampleApp
    let redis: TestRedisServer | undefined
    let online: SuperOfficeOnline
    beforeAll(async () => {
      if (options.inbox) redis = await startRedisServer()
      // SuperOffice Online's stand-in: the app's API client finds the tenant's host, gets a ticket
      // with this key, and fetches entities from it; tenant status notifications are signed by it.
      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
      online = await startSuperOfficeOnline({
        appPublicKey: publicKey,
        tenants: {
          Cust777: { systemUserToken: ONLINE_SYSTEM_USER },
          Cust12345: { systemUserToken: ONLINE_SYSTEM_USER },
        },
      })
      const onlineEnv = {
        SUPEROFFICE_ENVIRONMENT: online.authority,
        SUPEROFFICE_APP_TOKEN: online.applicationToken,
        SUPEROFFICE_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        SUPEROFFICE_SYSTEM_USER_TOKEN: ONLINE_SYSTEM_USER,
        SUPEROFFICE_CLIENT_ID: online.applicationId,
      }
      app = await startExampleApp({
        command: options.command ?? process.execPath,
        args: [options.entry],
        cwd: options.cwd,
        env: {
          // Every app's variable, and the Nuxt module's (runtimeConfig.superofficeWebhooks.secret).
          SUPEROFFICE_WEBHOOK_SECRET: secret,
          NUXT_SUPEROFFICE_WEBHOOKS_SECRET: secret,
          ...(redis
            ? { REDIS_URL: redis.url, NUXT_SUPEROFFICE_WEBHOOKS_REDIS_URL: redis.url, SUPEROFFICE_INBOX: 'bullmq' }
            : {}),
          ...onlineEnv,
          INBOX_BOARD_PASSWORD: BOARD_PASSWORD,
          ...options.env,
        },
      })
    })
    afterAll(async () => {
      await app?.stop()
      await redis?.stop()
      await online?.close()
    })

    const post = (event: object | string, key = secret) => {
      const { body, headers } = signedPayload(event, { secret: key })
      return fetch(`${app.url}/webhooks/superoffice`, { method: 'POST', body, headers })
    }

    it('answers GET /healthz with 200', async () => {
      expect((await fetch(`${app.url}/healthz`)).status).toBe(200)
      for (const line of options.startupLines ?? []) await app.waitForLine(line)
    })

    if (options.rawUploads)
      it('413 every time for a whole upload written first: declared or chunked, 3 MiB and 12 MiB', async () => {
        const answers: string[] = []
        for (const size of [3 * 1024 * 1024, 12 * 1024 * 1024]) {
          for (const chunked of [false, true]) {
            for (let i = 0; i < 3; i++) {
              const answer = await uploadThenRead(`${app.url}/webhooks/superoffice`, size, chunked)
              answers.push(`${size >> 20} MiB ${chunked ? 'chunked' : 'declared'}: ${answer}`)
            }
          }
        }
        expect(answers.filter((a) => !a.endsWith(': 413'))).toEqual([])
      })

    it('prints one line per event in the fixed format; the typed handler and the wildcard run', async () => {
      const sold = createTestEvent('sale.sold', { ContextIdentifier: 'Cust777' })
      const contact = createTestEvent('contact.created')
      const custom = createTestEvent('acme.exploded')
      for (const event of [sold, contact, custom]) expect((await post(event)).status).toBe(200)
      expect(await app.waitForLine(new RegExp(`id=${sold.EventId}$`))).toBe(
        `superoffice event=sale.sold key=${sold.PrimaryKey} tenant=Cust777 id=${sold.EventId}`,
      )
      await app.waitForLine(new RegExp(`id=${custom.EventId}$`))
      const ours = app.lines.filter((l) => [sold, contact, custom].some((e) => l.endsWith(e.EventId)))
      expect(ours).toHaveLength(3)
      for (const line of ours) expect(line).toMatch(EVENT_LINE)
      expect(await (await fetch(`${app.url}/stats`)).json()).toMatchObject({ sold: 1, saleEvents: 1 })
    })

    it('401 for a bad signature and no line for it', async () => {
      const event = createTestEvent('sale.sold')
      const response = await post(event, 'wrong')
      expect(response.status).toBe(401)
      expect(await response.json()).toMatchObject({ error: 'signature_invalid' })
      expect(app.lines.some((l) => l.includes(event.EventId))).toBe(false)
    })

    it('a duplicate: 200 twice, one line', async () => {
      const event = createTestEvent('sale.lost')
      expect((await post(event)).status).toBe(200)
      // Inline, the receiver's dedupe answers it; with an inbox, the queue drops it by job id.
      expect(await (await post(event)).json()).toEqual(
        options.inbox ? { ok: true, queued: true } : { ok: true, duplicate: true },
      )
      if (options.inbox) await new Promise((resolve) => setTimeout(resolve, 300))
      await app.waitForLine(new RegExp(`id=${event.EventId}$`))
      expect(app.lines.filter((l) => l.endsWith(event.EventId))).toHaveLength(1)
    })

    it('the test event: 200 and no line', async () => {
      const event = createTestEvent('test')
      const response = await post(event)
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({ ok: true, test: true })
      expect(app.lines.some((l) => l.includes(event.EventId))).toBe(false)
    })

    it('405 with Allow: POST for other methods on the webhook path', async () => {
      for (const method of ['GET', 'PUT']) {
        const response = await fetch(`${app.url}/webhooks/superoffice`, { method })
        expect(response.status, method).toBe(405)
        expect(response.headers.get('allow'), method).toBe('POST')
        await response.body?.cancel()
      }
    })

    it("the sale.sold handler fetches the Sale behind its event from the tenant's API", async () => {
      const sold = createTestEvent('sale.sold', { ContextIdentifier: 'Cust777' })
      online.put('Cust777', 'Sale', sold.PrimaryKey, { SaleId: sold.PrimaryKey, Heading: `Deal ${sold.EventId}` })
      expect((await post(sold)).status).toBe(200)
      await app.waitForLine(new RegExp(`^superoffice fetched sale ${sold.PrimaryKey}: Deal ${sold.EventId}$`), 90_000)
      const deleted = createTestEvent('sale.sold', { ContextIdentifier: 'Cust777' })
      online.remove('Cust777', 'Sale', deleted.PrimaryKey)
      expect((await post(deleted)).status).toBe(200)
      await app.waitForLine(new RegExp(`^superoffice fetched sale ${deleted.PrimaryKey}: \\(deleted\\)$`), 90_000)
      expect(online.calls.some((c) => c.scheme === 'SOTicket' && c.status === 200)).toBe(true)
    })

    it('receives the tenant status webhook at /superoffice/tenant-status: 200 when signed, 401 when forged', async () => {
      const url = `${app.url}/superoffice/tenant-status`
      const send = async (body: unknown) =>
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      const moved = await send(await online.notification('Cust777', 'Move'))
      expect(moved.status).toBe(200)
      await app.waitForLine(/^superoffice tenant-status Move Cust777$/, 90_000)
      const forged = await send(await online.notification('Cust777', 'Delete', { key: 'foreign' }))
      expect(forged.status).toBe(401)
      const otherApp = await send(await online.notification('Cust777', 'Delete', { audience: 'another-app' }))
      expect(otherApp.status).toBe(401)
      const suspended = await send(await online.notification('Cust777', 'Suspend'))
      expect(suspended.status).toBe(200)
      await app.waitForLine(/^superoffice tenant-status Suspend Cust777$/, 90_000)
      const body = await online.notification('Cust777', 'Resume')
      expect((await send(body)).status).toBe(200)
      expect((await send(body)).status).toBe(401) // the same token again
      expect(app.lines.some((l) => l === 'superoffice tenant-status Delete Cust777')).toBe(false)
    })

    // Only apps that mount the page get the row (no skipped test for the others).
    if (options.inbox && options.boardPath)
      it('the inbox page lists the queued events by name, behind a sign-in', async () => {
        const board = `${app.url}${options.boardPath}`
        const auth = { authorization: basic('inbox', BOARD_PASSWORD) }
        for (const headers of [
          {},
          { authorization: basic('inbox', 'wrong') },
          { authorization: basic('admin', BOARD_PASSWORD) },
          { authorization: `Bearer ${BOARD_PASSWORD}` },
        ]) {
          const refused = await fetch(`${board}/api/queues`, { headers })
          expect(refused.status).toBe(401)
          expect(refused.headers.get('www-authenticate')).toMatch(/^Basic /)
          expect(await refused.text()).not.toContain('sale')
        }
        const page = await fetch(board, { headers: auth })
        expect(page.status).toBe(200)
        expect(page.headers.get('content-type')).toMatch(/text\/html/)
        // The page's own script loads too (the browser sends the same sign-in with it).
        const script = /src="([^"]+\.js)"/.exec(await page.text())?.[1]
        expect(script).toBeDefined()
        const asset = await fetch(new URL(script as string, `${board}/`), { headers: auth })
        expect(asset.status).toBe(200)
        expect((await asset.text()).length).toBeGreaterThan(1000)

        const sold = createTestEvent('sale.sold', { ContextIdentifier: 'Cust777' })
        expect((await post(sold)).status).toBe(200)
        await app.waitForLine(new RegExp(`id=${sold.EventId}$`))
        const { queues } = (await (await fetch(`${board}/api/queues`, { headers: auth })).json()) as {
          queues: { name: string; readOnlyMode: boolean }[]
        }
        expect(queues).toHaveLength(1)
        const [queue] = queues as [{ name: string; readOnlyMode: boolean }]
        expect(queue.readOnlyMode).toBe(true)
        // The line is printed while the job is still active: ask for the latest jobs until it is listed.
        const listed = async () => {
          const answer = (await (
            await fetch(`${board}/api/queues?activeQueue=${encodeURIComponent(queue.name)}&status=latest&page=1`, {
              headers: auth,
            })
          ).json()) as { queues: { name: string; jobs: { name: string; data: unknown }[] }[] }
          const jobs = answer.queues.find((q) => q.name === queue.name)?.jobs ?? []
          return jobs.find((j) => j.name.endsWith(sold.EventId))
        }
        await expect
          .poll(async () => (await listed())?.name, { timeout: 10_000 })
          .toBe(`sale.sold Cust777 #${sold.PrimaryKey} · ${sold.EventId}`)
        const job = await listed()
        const shown = JSON.stringify(job?.data)
        expect(shown).toContain(sold.EventId)
        expect(shown).not.toContain(secret)
        expect(shown.toLowerCase()).not.toContain('x-superoffice-signature')
      })

    it('a body that is not JSON: 400', async () => {
      expect((await post('{"EventId": ')).status).toBe(400)
    })
  })

  const missingSecretMessage = options.missingSecretMessage
  if (missingSecretMessage) {
    describe(`${options.name}, started without a secret`, () => {
      it('answers 500 secret_unavailable (never 401 or 410) and logs which variable to set', async () => {
        const app = await startExampleApp({
          command: options.command ?? process.execPath,
          args: [options.entry],
          cwd: options.cwd,
          env: { ...options.env, SUPEROFFICE_WEBHOOK_SECRET: '', NUXT_SUPEROFFICE_WEBHOOKS_SECRET: '' },
        })
        try {
          const { body, headers } = signedPayload(createTestEvent('sale.sold'), { secret: 'any' })
          const response = await fetch(`${app.url}/webhooks/superoffice`, { method: 'POST', body, headers })
          expect(response.status).toBe(500)
          expect(await response.json()).toMatchObject({ error: 'secret_unavailable' })
          await expect.poll(() => app.stderr(), { timeout: 5000 }).toMatch(missingSecretMessage)
        } finally {
          await app.stop()
        }
      })
    })
  }
}
