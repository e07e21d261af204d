// orderBy: 'entity' when a handler outlives its attempt, and when a worker dies holding a row
// (issue 28): the row stays locked while an abandoned handler still runs, the handler's
// context.signal fires at the timeout, and a crashed worker's row is free soon after (its lock is
// renewed while the job runs and expires after lockDuration, not after handlerTimeoutMs + 30 s).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { hasRedis, startRedisServer } from '@superoffice-webhooks/test-utils/servers'
import { createTestEvent, signedPayload } from '@superoffice-webhooks/testing'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createBullMQInbox } from '../src/index.js'
import { describeEachEngine, major, secret, sleep, until } from './helpers.js'

let queues = 0
describeEachEngine('row locks', (store) => {
  it('a handler past handlerTimeoutMs keeps its row until it settles; its signal fires; the retry never runs beside it', {
    timeout: 120_000,
  }, async () => {
    const inbox = createBullMQInbox({
      connection: store.url,
      queueName: `row-lock-${store.name}-${++queues}`,
      orderBy: 'entity',
      attempts: 4,
      backoff: { type: 'fixed', delay: 10 },
      logger: false,
    })
    const webhooks = createSuperOfficeWebhooks({ secret, inbox, logger: false })
    let active = 0
    let most = 0
    const runs: string[] = []
    let release: () => void = () => {}
    const stuck = new Promise<void>((resolve) => {
      release = resolve
    })
    webhooks.on('sale.changed', async (_event, context) => {
      active++
      most = Math.max(most, active)
      const attempt = runs.filter((r) => r.startsWith('start')).length + 1
      runs.push(`start ${attempt}`)
      try {
        if (attempt === 1) {
          // Ignores its signal at first (a handler stuck in a call without one), then is told.
          await new Promise<void>((resolve) => context.signal?.addEventListener('abort', () => resolve()))
          runs.push(`aborted: ${(context.signal?.reason as Error | undefined)?.name}`)
          await stuck
        }
      } finally {
        active--
        runs.push(`end ${attempt}`)
      }
    })
    try {
      const { body, headers } = signedPayload(
        createTestEvent('sale.changed', { PrimaryKey: 5, ContextIdentifier: 'Cust1' }),
        { secret },
      )
      expect((await webhooks.handle({ rawBody: body, headers })).status).toBe(200)
      // Two workers, so the retry would find a free slot at once if the row were not held.
      const second = inbox.work(webhooks, { concurrency: 2, handlerTimeoutMs: 300 })
      await webhooks.start({ concurrency: 2, handlerTimeoutMs: 300 })
      await until(() => runs.includes('aborted: SuperOfficeHandlerTimeout'), 60_000, 'the timeout')
      // The attempt is failed and retried meanwhile; the retry waits for the row.
      await until(
        async () => (await inbox.stats()).delayed + (await inbox.stats()).waiting > 0 || runs.length > 2,
        60_000,
        'the retry queued',
      )
      await sleep(1_000)
      expect(runs).toEqual(['start 1', 'aborted: SuperOfficeHandlerTimeout'])
      release()
      await until(() => runs.includes('end 2'), 60_000, 'the retry, after the abandoned handler settled')
      expect(runs).toEqual(['start 1', 'aborted: SuperOfficeHandlerTimeout', 'end 1', 'start 2', 'end 2'])
      expect(most).toBe(1)
      await second.close()
    } finally {
      release()
      await webhooks.close()
    }
  })

  it('a row lock is renewed while a long handler runs: a job of the same row waits the whole time', {
    timeout: 120_000,
  }, async () => {
    const inbox = createBullMQInbox({
      connection: store.url,
      queueName: `row-renew-${store.name}-${++queues}`,
      orderBy: 'entity',
      logger: false,
    })
    const webhooks = createSuperOfficeWebhooks({ secret, inbox, logger: false })
    let active = 0
    let most = 0
    let handled = 0
    webhooks.on('sale.changed', async () => {
      active++
      most = Math.max(most, active)
      // Several times the row lock's time to live (lockDuration 600 ms).
      await sleep(handled === 0 ? 2_500 : 10)
      active--
      handled++
    })
    try {
      for (const id of ['a', 'b']) {
        const { body, headers } = signedPayload(
          createTestEvent('sale.changed', {
            PrimaryKey: 9,
            ContextIdentifier: 'Cust1',
            EventId: `00000000-0000-4000-8000-00000000000${id === 'a' ? 1 : 2}`,
          }),
          { secret },
        )
        expect((await webhooks.handle({ rawBody: body, headers })).status).toBe(200)
      }
      const first = inbox.work(webhooks, { concurrency: 2, lockDuration: 600 })
      const second = inbox.work(webhooks, { concurrency: 2, lockDuration: 600 })
      await until(() => handled === 2, 60_000, 'both jobs')
      expect(most).toBe(1)
      await first.close()
      await second.close()
    } finally {
      await webhooks.close()
    }
  })
})

// The child worker imports the built package, which resolves BullMQ 5: this row runs in that pass.
if (major === '5')
  describe.runIf(hasRedis)('a worker killed while it holds a row (Redis)', () => {
    it('frees the row soon after (lockDuration), not after handlerTimeoutMs + 30 s; the job runs again, nothing lost', {
      timeout: 120_000,
    }, async () => {
      const redis = await startRedisServer()
      onTestFinished(() => redis.stop())
      const queueName = `row-crash-${++queues}`
      const inbox = createBullMQInbox({ connection: redis.url, queueName, orderBy: 'entity', logger: false })
      const webhooks = createSuperOfficeWebhooks({ secret, inbox, logger: false })
      const handled: number[] = []
      webhooks.on('sale.changed', (event) => {
        handled.push(event.PrimaryKey)
      })
      const child = spawn(
        process.execPath,
        [fileURLToPath(new URL('./fixtures/crash-worker.mjs', import.meta.url)), redis.url, queueName],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      )
      try {
        let out = ''
        child.stdout.setEncoding('utf8').on('data', (c) => (out += c))
        const { body, headers } = signedPayload(
          createTestEvent('sale.changed', { PrimaryKey: 42, ContextIdentifier: 'Cust1' }),
          { secret },
        )
        expect((await webhooks.handle({ rawBody: body, headers })).status).toBe(200)
        await until(() => out.includes('started 42'), 60_000, 'the child worker took the job')
        child.kill('SIGKILL')
        await new Promise((resolve) => child.once('exit', resolve))
        // This worker would wait handlerTimeoutMs (10 minutes in the child) + 30 s for the row with
        // the old lock; with renewal it is free after lockDuration (1 s).
        const worker = inbox.work(webhooks, { concurrency: 1, lockDuration: 1_000, stalledInterval: 500 })
        await until(() => handled.length === 1, 60_000, 'the job run again by this worker')
        expect(handled).toEqual([42])
        await worker.close()
      } finally {
        child.kill('SIGKILL')
        await webhooks.close()
      }
    })
  })
