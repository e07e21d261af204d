// The Koa example with its BullMQ inbox, as users run it: two processes that each receive and
// work on one redis-server.
import { fileURLToPath } from 'node:url'
import { type ExampleApp, startExampleApp } from '@superoffice-webhooks/test-utils/apps'
import { sendLikeSuperOffice } from '@superoffice-webhooks/test-utils/contract'
import { hasRedis, startRedisServer, type TestRedisServer } from '@superoffice-webhooks/test-utils/servers'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const secret = 'inbox-processes-secret'
const exampleDir = fileURLToPath(new URL('../../apps/koa-example', import.meta.url))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/** Polls until `check` holds; never gives up in less than a minute (a busy machine is slow). */
async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + Math.max(timeoutMs, 60_000)
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

let redis: TestRedisServer
beforeAll(async () => {
  if (hasRedis) redis = await startRedisServer()
})
afterAll(async () => {
  await redis?.stop()
})

describe.runIf(hasRedis)('the Koa example with its BullMQ inbox', () => {
  it('two receiver and two worker processes (koa-example) on one Redis: 1,000 events, 30% duplicates, each handled once', async () => {
    const apps: ExampleApp[] = await Promise.all(
      [1, 2].map(() =>
        startExampleApp({
          command: process.execPath,
          args: ['dist/server.js'],
          cwd: exampleDir,
          env: { SUPEROFFICE_WEBHOOK_SECRET: secret, REDIS_URL: redis.url, SUPEROFFICE_INBOX: 'bullmq' },
        }),
      ),
    )
    try {
      const unique = Array.from({ length: 700 }, (_, i) =>
        JSON.stringify(createTestEvent(i % 2 ? 'sale.sold' : 'contact.changed')),
      )
      const duplicates = Array.from({ length: 300 }, (_, i) => unique[(i * 7) % unique.length] as string)
      const bodies = [...unique, ...duplicates].sort(() => Math.random() - 0.5)
      const statuses: number[] = []
      let next = 0
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          while (next < bodies.length) {
            const i = next++
            const { body, headers } = signedPayload(bodies[i] as string, { secret })
            const url = `${(apps[i % 2] as ExampleApp).url}/webhooks/superoffice`
            const sent = await sendLikeSuperOffice(
              async () => (await fetch(url, { method: 'POST', body, headers })).status,
            )
            statuses.push(sent.status)
          }
        }),
      )
      expect(statuses.filter((s) => s !== 200)).toEqual([])
      const printed = () => {
        const counts = new Map<string, number>()
        for (const app of apps) {
          for (const line of app.lines) {
            const id = line.match(/ id=(\S+)$/)?.[1]
            if (id) counts.set(id, (counts.get(id) ?? 0) + 1)
          }
        }
        return counts
      }
      await until(() => printed().size >= 700, 30_000, 'every event to be handled')
      await sleep(500)
      const ids = unique.map((b) => JSON.parse(b).EventId as string)
      expect(ids.filter((id) => printed().get(id) !== 1)).toEqual([])
      expect(printed().size).toBe(700)
      expect(apps.every((app) => app.lines.length > 100)).toBe(true) // both workers did real work
    } finally {
      await Promise.all(apps.map((app) => app.stop()))
    }
  })
})
