import { createTestEvent } from './events.js'
import { signedPayload } from './request.js'

/**
 * Options of {@link simulateSuperOffice}.
 *
 * @example
 * ```ts
 * const options: SimulateOptions = { secret: 's3cret', rate: 5, durationMs: 60_000 }
 * ```
 */
export interface SimulateOptions {
  /** The webhook secret; without it requests are unsigned. */
  secret?: string
  /** Events generated per second. Default 5. */
  rate?: number
  /** How long events are generated. Default 10 s (ignored when `events` is set). */
  durationMs?: number
  /** How many events to generate (instead of a duration). */
  events?: number
  /** Requests in flight at once, as SuperOffice's sender threads. Default 4. */
  threads?: number
  /** Event names to cycle through. Default a mix of sale, contact and person events. */
  eventNames?: readonly string[]
  /** `ContextIdentifier` of the events. Default `Cust12345`. */
  tenant?: string
  /** Delays before the 2nd and 3rd attempt. Default SuperOffice's: 1 s and 4 s. */
  retryDelaysMs?: readonly [number, number]
  /** Consecutive failed attempts that set the webhook to TooManyErrors. Default 9. */
  maxConsecutiveFailures?: number
  /** Per-request timeout. Default 10 s. */
  timeoutMs?: number
  /** Told about every attempt, for progress output. */
  onAttempt?: (attempt: SimulatedAttempt) => void
}

/**
 * One HTTP attempt the simulated SuperOffice made.
 *
 * @example
 * ```ts
 * simulateSuperOffice(url, { onAttempt: (a) => console.log(a.eventId, a.attempt, a.status) })
 * ```
 */
export interface SimulatedAttempt {
  eventId: string
  event: string
  /** 1, 2 or 3. */
  attempt: number
  /** The status answered; 0 when the request failed (refused, timed out). */
  status: number
  /** Milliseconds since the simulation started. */
  at: number
}

/**
 * What SuperOffice would have recorded.
 *
 * @example
 * ```ts
 * const report = await simulateSuperOffice(url, { secret, rate: 5, events: 200 })
 * if (report.state === 'TooManyErrors') console.error('SuperOffice would have disabled this webhook')
 * ```
 */
export interface SimulationReport {
  /** Events generated. */
  events: number
  /** Answered 200 on some attempt. */
  delivered: number
  /** Failed all three attempts and were dropped. */
  discarded: number
  /** Never sent, because the webhook was already in TooManyErrors. */
  notSent: number
  /** HTTP attempts made, and how many of them failed. */
  attempts: number
  failedAttempts: number
  /** The webhook's state at the end. */
  state: 'Active' | 'TooManyErrors'
  /** Per event: its id, name, outcome and the status of each attempt. */
  outcomes: { eventId: string; event: string; outcome: 'delivered' | 'discarded' | 'not-sent'; statuses: number[] }[]
  durationMs: number
}

const DEFAULT_EVENTS = ['sale.sold', 'contact.changed', 'person.created', 'sale.changed', 'contact.created']
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Sends generated, signed events to a receiver the way SuperOffice documents its sender: up to
 * three attempts per event (the 2nd after 1 s, the 3rd after 4 s), then the event is dropped; nine
 * consecutive failed attempts set the webhook to `TooManyErrors`, after which nothing more is
 * sent. Tells in advance whether a receiver would lose events or get its webhook disabled.
 *
 * @example
 * ```ts
 * import { simulateSuperOffice } from '@superoffice-webhooks/testing'
 *
 * const report = await simulateSuperOffice('http://localhost:3000/webhooks/superoffice', {
 *   secret: 's3cret',
 *   rate: 5,
 *   durationMs: 60_000,
 * })
 * console.log(report.delivered, report.discarded, report.state)
 * ```
 */
export async function simulateSuperOffice(url: string, options: SimulateOptions = {}): Promise<SimulationReport> {
  const rate = options.rate ?? 5
  if (!(rate > 0)) throw new RangeError('rate must be a positive number of events per second.')
  const total = options.events ?? Math.max(1, Math.round(((options.durationMs ?? 10_000) / 1000) * rate))
  const threads = Math.max(1, options.threads ?? 4)
  const names = options.eventNames ?? DEFAULT_EVENTS
  const [firstDelay, secondDelay] = options.retryDelaysMs ?? [1000, 4000]
  const limit = options.maxConsecutiveFailures ?? 9
  const timeoutMs = options.timeoutMs ?? 10_000
  const started = Date.now()

  let state: SimulationReport['state'] = 'Active'
  let consecutive = 0
  let attempts = 0
  let failedAttempts = 0
  let inFlight = 0
  const waiting: (() => void)[] = []
  const outcomes: SimulationReport['outcomes'] = []

  // At most `threads` requests at once; the rest wait their turn, in order.
  const send = async (body: string, headers: Record<string, string>): Promise<number> => {
    if (inFlight >= threads) await new Promise<void>((resolve) => waiting.push(resolve))
    inFlight++
    try {
      const response = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(timeoutMs) })
      await response.arrayBuffer()
      return response.status
    } catch {
      return 0
    } finally {
      inFlight--
      waiting.shift()?.()
    }
  }

  const deliver = async (index: number) => {
    const name = names[index % names.length] as string
    const event = createTestEvent(name, { ContextIdentifier: options.tenant ?? 'Cust12345' })
    const outcome: SimulationReport['outcomes'][number] = {
      eventId: event.EventId,
      event: name,
      outcome: 'not-sent',
      statuses: [],
    }
    outcomes.push(outcome)
    const text = JSON.stringify(event)
    for (let attempt = 1; attempt <= 3; attempt++) {
      if (attempt > 1) await sleep(attempt === 2 ? firstDelay : secondDelay)
      if (state === 'TooManyErrors') return
      const { headers } = signedPayload(text, {
        ...(options.secret ? { secret: options.secret } : {}),
        ...(attempt > 1 ? { retry: attempt - 1 } : {}),
      })
      const status = await send(text, headers)
      attempts++
      outcome.statuses.push(status)
      options.onAttempt?.({ eventId: event.EventId, event: name, attempt, status, at: Date.now() - started })
      if (status === 200) {
        consecutive = 0
        outcome.outcome = 'delivered'
        return
      }
      failedAttempts++
      consecutive++
      if (consecutive >= limit) state = 'TooManyErrors'
      outcome.outcome = 'discarded'
    }
  }

  const deliveries: Promise<void>[] = []
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate
    const wait = due - Date.now()
    if (wait > 0) await sleep(wait)
    deliveries.push(deliver(i))
  }
  await Promise.all(deliveries)

  const count = (o: string) => outcomes.filter((x) => x.outcome === o).length
  return {
    events: total,
    delivered: count('delivered'),
    discarded: count('discarded'),
    notSent: count('not-sent'),
    attempts,
    failedAttempts,
    state,
    outcomes,
    durationMs: Date.now() - started,
  }
}
