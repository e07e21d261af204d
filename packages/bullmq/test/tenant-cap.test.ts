// A cap per tenant (issue 29): fairness: { by: 'tenant', concurrency } runs at most that many jobs
// of one tenant at once across every worker, while the rest of the workers serve other tenants; a
// worker killed holding a tenant's slot frees it when the slot's lock expires, and nothing is
// lost. And a tenant SuperOffice throttles waits, alone, without using attempts. Order and counts
// are asserted, never times. Redis in both passes; PostgreSQL in the BullMQ 6 pass.
import { spawn } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createSuperOfficeApi } from '@superoffice-webhooks/api'
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { createTestEvent, signedPayload, startSuperOfficeOnline } from '@superoffice-webhooks/testing'
import { expect, it } from 'vitest'
import { type BullMQInboxOptions, createBullMQInbox } from '../src/index.js'
import { describeEachEngine, major, secret, until } from './helpers.js'

const capWorker = fileURLToPath(new URL('./fixtures/cap-worker.mjs', import.meta.url))
const hook = fileURLToPath(new URL('./fixtures/bullmq6-hook.mjs', import.meta.url))

let queues = 0
describeEachEngine('a cap per tenant', (store) => {
  const setup = (options: Partial<BullMQInboxOptions> = {}) => {
    const queueName = `cap-${store.name}-${++queues}`
    const inbox = createBullMQInbox({
      connection: store.url,
      queueName,
      logger: false,
      fairness: { by: 'tenant', concurrency: 2 },
      ...options,
    })
    const webhooks = createSuperOfficeWebhooks({ secret, inbox, logger: false })
    const deliver = async (tenant: string, key: number) => {
      const { body, headers } = signedPayload(
        createTestEvent('sale.changed', { ContextIdentifier: tenant, PrimaryKey: key }),
        { secret },
      )
      expect((await webhooks.handle({ rawBody: body, headers })).status).toBe(200)
    }
    return { inbox, webhooks, deliver, queueName }
  }

  it("at most 2 of a tenant's jobs run at once across two workers; the other slots serve another tenant meanwhile", async () => {
    const { inbox, webhooks, deliver } = setup()
    const running = new Map<string, number>()
    const most = new Map<string, number>()
    const done: string[] = []
    // The flood's handlers wait until the test lets them go: while they hold the tenant's two
    // slots, the quiet tenant's events must all run in the workers' other slots.
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    webhooks.on('sale.changed', async (event) => {
      const tenant = event.ContextIdentifier as string
      running.set(tenant, (running.get(tenant) ?? 0) + 1)
      most.set(tenant, Math.max(most.get(tenant) ?? 0, running.get(tenant) ?? 0))
      try {
        if (tenant === 'CustFlood') await gate
      } finally {
        running.set(tenant, (running.get(tenant) ?? 1) - 1)
        done.push(`${tenant}#${event.PrimaryKey}`)
      }
    })
    try {
      for (let i = 1; i <= 20; i++) await deliver('CustFlood', i)
      for (let i = 1; i <= 8; i++) await deliver('CustQuiet', i)
      const first = inbox.work(webhooks, { concurrency: 4 })
      const second = inbox.work(webhooks, { concurrency: 4 })
      await until(() => done.filter((d) => d.startsWith('CustQuiet#')).length === 8, 120_000, 'the quiet tenant')
      // Every quiet event ran while the flood held its two slots, and not one flood job finished.
      expect(running.get('CustFlood')).toBe(2)
      expect(done.filter((d) => d.startsWith('CustFlood#'))).toEqual([])
      release()
      await until(() => done.length === 28, 120_000, 'every event')
      await first.close()
      await second.close()
      expect(most.get('CustFlood')).toBe(2)
      expect(most.get('CustQuiet')).toBeLessThanOrEqual(2)
      expect(new Set(done).size).toBe(28)
      await until(async () => (await inbox.stats()).completed === 28, 60_000, 'every job completed')
      expect(await inbox.stats()).toMatchObject({ completed: 28, failed: 0, waiting: 0, delayed: 0 })
      // Waiting for a slot used no attempt.
      const jobs = await inbox.queue?.getJobs(['completed'], 0, 100)
      expect(jobs?.map((job) => job.attemptsMade).filter((n) => n > 1)).toEqual([])
    } finally {
      release()
      await webhooks.close()
    }
  })

  it('composes with orderBy and coalesce: a capped tenant still runs each row in order, every change once', async () => {
    const { inbox, webhooks, deliver } = setup({
      fairness: { by: 'tenant', concurrency: 1 },
      orderBy: 'entity',
      coalesce: { delayMs: 50, maxDelayMs: 200 },
    })
    let running = 0
    let most = 0
    const seen = new Set<string>()
    webhooks.on('sale.changed', async (event) => {
      running++
      most = Math.max(most, running)
      await new Promise((resolve) => setTimeout(resolve, 5))
      seen.add(`${event.ContextIdentifier}#${event.PrimaryKey}`)
      running--
    })
    try {
      for (let i = 1; i <= 12; i++) await deliver('CustOne', i)
      const worker = inbox.work(webhooks, { concurrency: 6 })
      await until(() => seen.size === 12, 120_000, 'every row')
      await worker.close()
      expect(most).toBe(1)
      expect(await inbox.stats()).toMatchObject({ failed: 0 })
    } finally {
      await webhooks.close()
    }
  })

  it("a worker killed holding a tenant's only slot: the slot expires, the killed job and the tenant's others run once each", async () => {
    const { inbox, webhooks, deliver, queueName } = setup({ fairness: { by: 'tenant', concurrency: 1 } })
    const handled: string[] = []
    let running = 0
    let most = 0
    webhooks.on('sale.changed', async (event) => {
      running++
      most = Math.max(most, running)
      await new Promise((resolve) => setTimeout(resolve, 5))
      handled.push(`${event.ContextIdentifier}#${event.PrimaryKey}`)
      running--
    })
    const child = spawn(
      process.execPath,
      [...(major === '6' ? ['--import', hook] : []), capWorker, store.url, queueName],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    try {
      let out = ''
      child.stdout.setEncoding('utf8').on('data', (c) => (out += c))
      for (let i = 1; i <= 4; i++) await deliver('CustA', i)
      await until(() => out.includes('started CustA#'), 60_000, 'the child worker took a job')
      child.kill('SIGKILL')
      await new Promise((resolve) => child.once('exit', resolve))
      for (let i = 1; i <= 2; i++) await deliver('CustB', i)
      const worker = inbox.work(webhooks, { concurrency: 4, lockDuration: 1_000, stalledInterval: 500 })
      await until(() => handled.length === 6, 120_000, 'every event, the killed one included')
      await worker.close()
      expect(handled.sort()).toEqual(['CustA#1', 'CustA#2', 'CustA#3', 'CustA#4', 'CustB#1', 'CustB#2'])
      expect(most).toBeLessThanOrEqual(2) // one of CustA's, one of CustB's
      await until(async () => (await inbox.stats()).completed === 6, 60_000, 'every job completed')
      expect(await inbox.stats()).toMatchObject({ completed: 6, failed: 0, active: 0 })
    } finally {
      child.kill('SIGKILL')
      await webhooks.close()
    }
  })

  it("a tenant SuperOffice throttles past maxRetryAfterMs waits the time asked, alone, using no attempt; another tenant's jobs go on", async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const online = await startSuperOfficeOnline({
      appPublicKey: publicKey,
      tenants: { CustSlow: {}, CustFast: {} },
    })
    const api = createSuperOfficeApi({
      environment: { authority: online.authority },
      applicationToken: online.applicationToken,
      privateKey,
      systemUserToken: (tenant) => `${tenant}-system-user`,
      maxRetryAfterMs: 500,
    })
    const inbox = createBullMQInbox({
      connection: store.url,
      queueName: `throttle-${store.name}-${++queues}`,
      logger: false,
      attempts: 1, // a held job is not failed, so one attempt is enough
    })
    const webhooks = createSuperOfficeWebhooks({ secret, inbox, api, logger: false })
    const letters: string[] = []
    webhooks.onDeadLetter(({ reason }) => {
      letters.push(reason)
    })
    const fetched: string[] = []
    webhooks.on('sale.changed', async (event, context) => {
      await context.fetchEntity()
      fetched.push(`${event.ContextIdentifier}#${event.PrimaryKey}`)
    })
    try {
      online.throttleTenant('CustSlow', 8)
      for (let i = 1; i <= 5; i++) {
        for (const tenant of ['CustSlow', 'CustFast']) {
          const { body, headers } = signedPayload(
            createTestEvent('sale.changed', { ContextIdentifier: tenant, PrimaryKey: i }),
            { secret },
          )
          expect((await webhooks.handle({ rawBody: body, headers })).status).toBe(200)
        }
      }
      await webhooks.start({ concurrency: 2 })
      await until(() => fetched.length === 10, 120_000, 'every event, once the throttle passed')
      // The fast tenant's events all ran before any of the throttled tenant's.
      expect(fetched.slice(0, 5).every((f) => f.startsWith('CustFast#'))).toBe(true)
      // Once one call was throttled, the tenant's other jobs waited instead of calling: at most one
      // 429 per worker slot, where retrying each job would have met one per attempt.
      const throttled = online.calls.filter((c) => c.status === 429)
      expect(throttled.length).toBeGreaterThan(0)
      expect(throttled.length).toBeLessThanOrEqual(2)
      await until(async () => (await inbox.stats()).completed === 10, 60_000, 'every job completed')
      expect(await inbox.stats()).toMatchObject({ completed: 10, failed: 0 })
      // No attempt was used by the wait (one attempt each), and no dead letter was told.
      const jobs = (await inbox.queue?.getJobs(['completed'], 0, 100)) ?? []
      expect(jobs.map((job) => job.attemptsMade).filter((n) => n > 1)).toEqual([])
      expect(letters).toEqual([])
      expect(jobs.some((job) => (job.data as { throttled?: number }).throttled === 1)).toBe(true)
    } finally {
      await webhooks.close()
      await online.close()
    }
  })

  it("stats({ byTenant: true }) gives each tenant's waiting, running, parked and failed jobs and its oldest wait", async () => {
    const { inbox, webhooks, deliver } = setup({ attempts: 1 })
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    webhooks.on('sale.changed', async (event) => {
      if (event.ContextIdentifier === 'CustA' && event.PrimaryKey === 1) throw new Error('downstream refused')
      if (event.ContextIdentifier === 'CustB') await gate
    })
    try {
      for (let i = 1; i <= 3; i++) await deliver('CustA', i)
      for (let i = 1; i <= 2; i++) await deliver('CustB', i)
      const before = await inbox.stats({ byTenant: true })
      expect(before.waiting).toBe(5)
      expect(before.tenants.CustA).toMatchObject({ waiting: 3, active: 0, failed: 0 })
      expect(before.tenants.CustB).toMatchObject({ waiting: 2 })
      expect(before.tenants.CustA?.oldestWaitingMs).toBeGreaterThanOrEqual(0)
      await inbox.pauseTenant('CustC')
      await deliver('CustC', 1)
      const worker = inbox.work(webhooks, { concurrency: 4 })
      await until(
        async () => {
          const { tenants } = await inbox.stats({ byTenant: true })
          return tenants.CustB?.active === 2 && tenants.CustC?.parked === 1 && tenants.CustA?.failed === 1
        },
        60_000,
        'CustB running, CustC parked, CustA failed once',
      )
      const during = await inbox.stats({ byTenant: true })
      expect(during.tenants.CustA).toMatchObject({ waiting: 0, active: 0, failed: 1 })
      expect(during.tenants.CustB).toMatchObject({ waiting: 0, active: 2 })
      expect(during.tenants.CustC).toMatchObject({ parked: 1, delayed: 0 })
      expect(during.tenants.CustC?.oldestWaitingMs).toBeGreaterThan(0)
      // Without the option, the plain counts, and no per-tenant read.
      expect(await inbox.stats()).not.toHaveProperty('tenants')
      release()
      await worker.close()
    } finally {
      release()
      await webhooks.close()
    }
  })

  it('refuses a cap that is not a whole number of at least 1, at creation', () => {
    for (const concurrency of [0, -1, 1.5, Number.NaN]) {
      expect(() =>
        createBullMQInbox({
          connection: 'redis://127.0.0.1:1',
          logger: false,
          fairness: { by: 'tenant', concurrency },
        }),
      ).toThrow(/fairness.concurrency must be a whole number of at least 1/)
    }
  })
})
