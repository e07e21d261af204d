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
  /** How many events' outcomes the report lists one by one. Default 100,000. */
  maxOutcomes?: number
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
  /** Failed one or two attempts, then were dropped because the webhook was disabled before the next. */
  cutShort: number
  /** Never sent, because the webhook was already in TooManyErrors. */
  notSent: number
  /** HTTP attempts made, and how many of them failed. */
  attempts: number
  failedAttempts: number
  /** How many failed attempts got each status (`0`: no answer: refused or timed out). */
  failedStatuses: Record<string, number>
  /** The webhook's state at the end. */
  state: 'Active' | 'TooManyErrors'
  /** When the webhook would have been disabled, in ms since the start; `undefined` while Active. */
  disabledAtMs: number | undefined
  /**
   * Per event: its id, name, outcome and the status of each attempt. Only the first
   * `maxOutcomes` events are listed (see `outcomesTruncated`); the counts cover every event.
   */
  outcomes: {
    eventId: string
    event: string
    outcome: 'delivered' | 'discarded' | 'cut-short' | 'not-sent'
    statuses: number[]
  }[]
  /** Whether more events were sent than `outcomes` lists. */
  outcomesTruncated: boolean
  /**
   * Every attempt in the order made, with its time (the first `maxOutcomes` × 3): the timeline
   * `renderSimulationReport` draws.
   */
  timeline: SimulatedAttempt[]
  /** The consecutive failures that disable the webhook (9 by default). */
  maxConsecutiveFailures: number
  /** The delays before the 2nd and 3rd attempt that were used (SuperOffice's: 1 s and 4 s). */
  retryDelaysMs: [number, number]
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
  const durationMs = options.events === undefined ? (options.durationMs ?? 10_000) : undefined
  const total = options.events ?? Number.POSITIVE_INFINITY
  const threads = Math.max(1, options.threads ?? 4)
  const names = options.eventNames ?? DEFAULT_EVENTS
  const [firstDelay, secondDelay] = options.retryDelaysMs ?? [1000, 4000]
  const limit = options.maxConsecutiveFailures ?? 9
  const timeoutMs = options.timeoutMs ?? 10_000
  const maxOutcomes = options.maxOutcomes ?? 100_000
  // Events waiting for a sender thread or between their attempts. Past this, generation waits:
  // events are made as they can be sent, so memory stays bounded at any rate.
  const maxPending = threads * 64
  const started = Date.now()

  let state: SimulationReport['state'] = 'Active'
  let disabledAtMs: number | undefined
  let consecutive = 0
  let attempts = 0
  let failedAttempts = 0
  let inFlight = 0
  let generated = 0
  let pending = 0
  const counts = { delivered: 0, discarded: 0, 'cut-short': 0, 'not-sent': 0 }
  const failedStatuses: Record<string, number> = {}
  const waiting: (() => void)[] = []
  const outcomes: SimulationReport['outcomes'] = []
  const timeline: SimulatedAttempt[] = []
  let roomForMore: (() => void) | undefined

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
    const text = JSON.stringify(event)
    for (let attempt = 1; attempt <= 3; attempt++) {
      if (attempt > 1) await sleep(attempt === 2 ? firstDelay : secondDelay)
      if (state === 'TooManyErrors') {
        if (attempt > 1) outcome.outcome = 'cut-short'
        break
      }
      const { headers } = signedPayload(text, {
        ...(options.secret ? { secret: options.secret } : {}),
        ...(attempt > 1 ? { retry: attempt - 1 } : {}),
      })
      const status = await send(text, headers)
      attempts++
      outcome.statuses.push(status)
      const made = { eventId: event.EventId, event: name, attempt, status, at: Date.now() - started }
      if (timeline.length < maxOutcomes * 3) timeline.push(made)
      options.onAttempt?.(made)
      if (status === 200) {
        consecutive = 0
        outcome.outcome = 'delivered'
        break
      }
      failedAttempts++
      failedStatuses[status] = (failedStatuses[status] ?? 0) + 1
      consecutive++
      if (consecutive >= limit && state === 'Active') {
        state = 'TooManyErrors'
        disabledAtMs = Date.now() - started
      }
      outcome.outcome = attempt === 3 ? 'discarded' : 'cut-short'
    }
    counts[outcome.outcome]++
    if (index < maxOutcomes) outcomes[index] = outcome
  }

  const finished = (work: Promise<void>) =>
    work.finally(() => {
      pending--
      roomForMore?.()
      roomForMore = undefined
    })
  const deliveries = new Set<Promise<void>>()
  const ends = durationMs === undefined ? Number.POSITIVE_INFINITY : started + durationMs
  while (generated < total) {
    const due = started + (generated * 1000) / rate
    if (due >= ends) break
    const wait = due - Date.now()
    if (wait > 0) await sleep(wait)
    while (pending >= maxPending) await new Promise<void>((resolve) => (roomForMore = resolve))
    // Falling behind the schedule (a rate the receiver cannot take) is no reason to stop at the end.
    if (Date.now() >= ends) break
    pending++
    const work = finished(deliver(generated++))
    deliveries.add(work)
    work.then(() => deliveries.delete(work))
  }
  await Promise.all(deliveries)

  return {
    events: generated,
    delivered: counts.delivered,
    discarded: counts.discarded,
    cutShort: counts['cut-short'],
    notSent: counts['not-sent'],
    attempts,
    failedAttempts,
    failedStatuses,
    state,
    disabledAtMs,
    outcomes,
    outcomesTruncated: generated > maxOutcomes,
    timeline,
    maxConsecutiveFailures: limit,
    retryDelaysMs: [firstDelay, secondDelay],
    durationMs: Date.now() - started,
  }
}
