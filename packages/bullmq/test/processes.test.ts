import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import {
  type ExampleApp,
  hasRedis,
  startExampleApp,
  startRedisServer,
  type TestRedisServer,
} from '@superoffice-webhooks/adapter-contract'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { secret, sleep, until } from './helpers.js'
import { crashedWorkerScenario } from './scenarios.js'

const workerScript = fileURLToPath(new URL('./fixtures/worker.mjs', import.meta.url))
const exampleDir = fileURLToPath(new URL('../../../apps/koa-example', import.meta.url))

let redis: TestRedisServer
beforeAll(async () => {
  if (hasRedis) redis = await startRedisServer()
})
afterAll(async () => {
  await redis?.stop()
})

function _startWorker(env: Record<string, string>) {
  const child = spawn(process.execPath, [workerScript], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const ready = new Promise<void>((resolve) => child.stdout.on('data', (c) => String(c).includes('ready') && resolve()))
  return { child, ready }
}

describe.runIf(hasRedis)('worker processes', () => {
  it(
    'a worker killed with SIGKILL mid-job: the job is taken over once its lock expires',
    () =>
      crashedWorkerScenario(
        { connection: redis.url, queueName: 'crash' },
        { REDIS_URL: redis.url, QUEUE: 'crash' },
        process.env.SUPEROFFICE_BULLMQ_MAJOR ?? '5',
      ),
    120_000,
  )

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
            statuses.push((await fetch(url, { method: 'POST', body, headers })).status)
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
