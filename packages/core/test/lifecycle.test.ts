// Issue 21: the inbox as a core contract with a lifecycle, and one deliver path for requests and
// stored jobs. The inbox here is a whole, working one (an array and a loop), not a stand-in for a
// queue engine: the engines' own suites run the same contract on Redis.
import { describe, expect, it } from 'vitest'
import { SuperOfficeJobError } from '../src/adapter.js'
import {
  createSuperOfficeWebhooks,
  type SuperOfficeInbox,
  type SuperOfficeInboxJob,
  type SuperOfficeJobAttempt,
  type SuperOfficeJobProcessor,
  signPayload,
} from '../src/index.js'
import { envelope } from './helpers.js'

/** An in-process inbox: jobs in an array, a worker loop with attempts. */
function arrayInbox(attempts = 2) {
  const jobs: SuperOfficeInboxJob[] = []
  const dead: { job: SuperOfficeInboxJob; error: unknown }[] = []
  const calls: string[] = []
  let stop: (() => void) | undefined
  const inbox: SuperOfficeInbox = {
    async enqueue(job) {
      if (job.id !== undefined && jobs.some((j) => j.id === job.id)) return
      jobs.push(job)
    },
    work(process: SuperOfficeJobProcessor) {
      calls.push('work')
      let running = true
      const loop = (async () => {
        while (running) {
          const job = jobs.shift()
          if (!job) {
            await new Promise<void>((resolve) => {
              stop = resolve
              setTimeout(resolve, 5)
            })
            continue
          }
          for (let attempt = 1; attempt <= attempts; attempt++) {
            const info: SuperOfficeJobAttempt = { id: job.id, attempt, attempts }
            try {
              await process(job, info)
              break
            } catch (error) {
              if (attempt === attempts) dead.push({ job, error })
            }
          }
        }
      })()
      return {
        started: Promise.resolve(),
        async close() {
          calls.push('worker.close')
          running = false
          stop?.()
          await loop
        },
      }
    },
    async close() {
      calls.push('inbox.close')
    },
  }
  return { inbox, jobs, dead, calls }
}

const secret = 'lifecycle'
const signed = (event: object) => {
  const text = JSON.stringify(event)
  return { rawBody: Buffer.from(text), headers: { 'X-SuperOffice-Signature': signPayload(text, secret) } }
}
const until = async (check: () => boolean) => {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5))
  expect(check()).toBe(true)
}

describe('webhooks.start() and webhooks.close()', () => {
  it('start runs the inbox worker with this receiver’s handlers; close drains, stops the worker, closes the inbox', async () => {
    const { inbox, calls } = arrayInbox()
    const webhooks = createSuperOfficeWebhooks({ secret, inbox, logger: false })
    const seen: { id: string | undefined; tenant: string | undefined; attempt: string }[] = []
    webhooks.on('sale.sold', (event, context) => {
      seen.push({ id: context.eventId, tenant: context.tenant, attempt: event.Event })
    })
    await webhooks.start()
    const event = envelope('sale.sold', { ContextIdentifier: 'CustL' })
    const answer = await webhooks.handle(signed(event))
    expect(answer.body).toEqual({ ok: true, queued: true })
    await until(() => seen.length === 1)
    expect(seen[0]).toMatchObject({ id: event.EventId, tenant: 'CustL' })
    await webhooks.close()
    expect(calls).toEqual(['work', 'worker.close', 'inbox.close'])
  })

  it('start without an inbox that has a worker says so; close without one still drains', async () => {
    const plain = createSuperOfficeWebhooks({ secret, logger: false })
    await expect(plain.start()).rejects.toThrow(/no inbox with a worker/)
    await plain.close()
    const enqueueOnly = createSuperOfficeWebhooks({ secret, logger: false, inbox: { enqueue: async () => {} } })
    await expect(enqueueOnly.start()).rejects.toThrow(/no inbox with a worker/)
  })

  it('a failing handler in the worker is a SuperOfficeJobError naming it, retried, then dead', async () => {
    const { inbox, dead } = arrayInbox(2)
    const webhooks = createSuperOfficeWebhooks({ secret, inbox, logger: false })
    const attempts: number[] = []
    webhooks.on('sale.sold', async function syncErp() {
      attempts.push(attempts.length + 1)
      throw new Error('ERP down')
    })
    await webhooks.start()
    await webhooks.handle(signed(envelope('sale.sold')))
    await until(() => dead.length === 1)
    expect(attempts).toEqual([1, 2])
    const error = dead[0]?.error
    expect(error).toBeInstanceOf(SuperOfficeJobError)
    expect((error as SuperOfficeJobError).message).toBe('Handler syncErp failed: ERP down')
    expect((error as SuperOfficeJobError).handlers).toEqual(['syncErp'])
    await webhooks.close()
  })

  it("a throttled handler's error tells the inbox how long to wait: the longest retryAfterMs of the failures, through causes", async () => {
    const { inbox, dead } = arrayInbox(1)
    const webhooks = createSuperOfficeWebhooks({ secret, inbox, logger: false })
    webhooks.on('sale.sold', async function fetchSale() {
      throw Object.assign(new Error('throttled'), { retryAfterMs: 30_000 })
    })
    webhooks.on('sale.sold', async function wrapped() {
      throw new Error('sync failed', { cause: Object.assign(new Error('throttled'), { retryAfterMs: 90_000 }) })
    })
    webhooks.on('sale.sold', async function plain() {
      throw new Error('down')
    })
    await webhooks.start()
    await webhooks.handle(signed(envelope('sale.sold')))
    await until(() => dead.length === 1)
    expect((dead[0]?.error as SuperOfficeJobError | undefined)?.retryAfterMs).toBe(90_000)
    await webhooks.close()
    // A plain failure says nothing of waiting; nor do nonsense values.
    const other = arrayInbox(1)
    const plain = createSuperOfficeWebhooks({ secret, inbox: other.inbox, logger: false })
    plain.on('sale.sold', async () => {
      throw Object.assign(new Error('odd'), { retryAfterMs: Number.POSITIVE_INFINITY })
    })
    await plain.start()
    await plain.handle(signed(envelope('sale.sold')))
    await until(() => other.dead.length === 1)
    expect(other.dead[0]?.error).toBeInstanceOf(SuperOfficeJobError)
    expect((other.dead[0]?.error as SuperOfficeJobError | undefined)?.retryAfterMs).toBeUndefined()
    await plain.close()
  })

  it('the worker runs the same deliver: no duplicate claim, the test event never queued', async () => {
    const { inbox, jobs } = arrayInbox()
    const webhooks = createSuperOfficeWebhooks({ secret, inbox, logger: false })
    let handled = 0
    webhooks.onAny(() => {
      handled++
    })
    const event = envelope('contact.created')
    await webhooks.handle(signed(event))
    expect((await webhooks.handle(signed(envelope('test')))).body).toEqual({ ok: true, test: true })
    expect(jobs).toHaveLength(1)
    // The receiver's dedupe store never claimed the queued event: the worker's run is its first.
    await webhooks.processJob(jobs[0] as SuperOfficeInboxJob, { attempt: 1, attempts: 1 })
    await webhooks.processJob(jobs[0] as SuperOfficeInboxJob, { attempt: 2, attempts: 2 })
    expect(handled).toBe(2) // a retry of a job runs again: the queue, not the claim, dedupes jobs
  })
})
