import type * as DiagnosticsChannel from 'node:diagnostics_channel'
import type { SuperOfficeWebhookError } from './errors.js'
import type { SuperOfficeLogger, SuperOfficeLogLevel } from './options.js'
import { isThenable } from './parse.js'
import type {
  SuperOfficeErrorHandler,
  SuperOfficeErrorInfo,
  SuperOfficeOutcome,
  SuperOfficeOutcomeHandler,
  SuperOfficeWebhookAnswer,
  SuperOfficeWebhookInput,
} from './types.js'

/** The name of the `node:diagnostics_channel` TracingChannel every delivery is traced on. */
export const RECEIVE_CHANNEL = 'superoffice-webhooks:receive'

/** The name of the `node:diagnostics_channel` channel the inbox's hand-offs and worker attempts are published on. */
export const INBOX_CHANNEL = 'superoffice-webhooks:inbox'

/**
 * What the {@link INBOX_CHANNEL} carries: each hand-off to the inbox (its latency, stored or not),
 * and each attempt a worker made at a stored job.
 *
 * @example
 * ```ts
 * import { channel } from 'node:diagnostics_channel'
 * channel('superoffice-webhooks:inbox').subscribe((m) => console.log((m as SuperOfficeInboxMessage).type))
 * ```
 */
export type SuperOfficeInboxMessage =
  | { type: 'enqueue'; event: string; stored: boolean; durationMs: number }
  | {
      type: 'attempt'
      event: string
      attempt: number
      attempts: number
      ok: boolean
      /** The last attempt failed: the job is a dead letter now. */
      dead: boolean
      durationMs: number
    }

/**
 * What subscribers of the {@link RECEIVE_CHANNEL} TracingChannel get: the input at `start`, and
 * `answer` and `outcome` filled in by `asyncEnd`.
 *
 * @example
 * ```ts
 * import { tracingChannel } from 'node:diagnostics_channel'
 *
 * tracingChannel<unknown, SuperOfficeReceiveMessage>('superoffice-webhooks:receive').subscribe({
 *   start() {}, end() {}, asyncStart() {}, error() {},
 *   asyncEnd(message) { console.log(message.outcome?.code, message.outcome?.durationMs) },
 * })
 * ```
 */
export interface SuperOfficeReceiveMessage {
  input: SuperOfficeWebhookInput
  answer?: SuperOfficeWebhookAnswer
  outcome?: SuperOfficeOutcome
}

type Channel = DiagnosticsChannel.TracingChannel<unknown, SuperOfficeReceiveMessage & object>
const diagnostics = (
  globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }
).process?.getBuiltinModule?.('node:diagnostics_channel') as typeof DiagnosticsChannel | undefined
const receiveChannel: Channel | undefined = diagnostics?.tracingChannel(RECEIVE_CHANNEL) as Channel | undefined
const inboxChannel = diagnostics?.channel(INBOX_CHANNEL)

/** Publishes an inbox message when someone listens (free otherwise). */
export function publishInbox(message: SuperOfficeInboxMessage): void {
  if (inboxChannel?.hasSubscribers) inboxChannel.publish(message)
}

const levels: Record<SuperOfficeLogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 }
const WINDOW_MS = 60_000
const LINES_PER_WINDOW = 10
const KEYS = 256

/** Which level each failure is logged at: dropped connections are not alarms. */
function levelOf(error: SuperOfficeWebhookError): Exclude<SuperOfficeLogLevel, 'silent'> {
  if (error.code === 'request_aborted') return 'debug'
  return error.status >= 500 ? 'error' : 'warn'
}

/**
 * The observation step: log lines (by level, bounded per error code and event name), `onError`
 * and `onOutcome` listeners, and the diagnostics channel.
 */
export function createObserver(logger: SuperOfficeLogger | undefined, logLevel: SuperOfficeLogLevel) {
  const minimum = levels[logLevel]
  const errorHandlers: SuperOfficeErrorHandler[] = []
  const outcomeHandlers: SuperOfficeOutcomeHandler[] = []
  const windows = new Map<string, { start: number; lines: number; dropped: number }>()

  const write = (level: Exclude<SuperOfficeLogLevel, 'silent'>, key: string, message: string, detail?: unknown) => {
    if (!logger || levels[level] < minimum) return
    // At most LINES_PER_WINDOW lines per key a minute; the next line after says how many were held back.
    const now = Date.now()
    let window = windows.get(key)
    if (!window || now - window.start > WINDOW_MS) {
      const dropped = window?.dropped ?? 0
      if (!window && windows.size >= KEYS) windows.delete(windows.keys().next().value as string)
      window = { start: now, lines: 0, dropped: 0 }
      windows.set(key, window)
      if (dropped > 0) message += ` (${dropped} similar lines held back in the last minute)`
    }
    if (window.lines >= LINES_PER_WINDOW) {
      window.dropped++
      return
    }
    window.lines++
    const sink = (level === 'debug' || level === 'info' ? (logger[level] ?? logger.warn) : logger[level]).bind(logger)
    if (detail === undefined) sink(`superoffice-webhooks: ${message}`)
    else sink(`superoffice-webhooks: ${message}`, detail)
  }

  const listen = (call: () => unknown) => {
    try {
      const result = call()
      if (isThenable(result)) result.then(undefined, (e: unknown) => write('error', 'listener', 'a listener failed', e))
    } catch (e) {
      write('error', 'listener', 'a listener failed', e)
    }
  }

  return {
    errorHandlers,
    outcomeHandlers,
    log: write,
    /** Reports a failure: one log line naming event, EventId, tenant and handler, and every `onError`. */
    report(
      error: SuperOfficeWebhookError,
      info: SuperOfficeErrorInfo,
      onFailure?: (error: SuperOfficeWebhookError, info: SuperOfficeErrorInfo) => void,
    ) {
      const event = info.event
      const where = [
        event?.Event !== undefined && `event=${event.Event}`,
        typeof event?.EventId === 'string' && `id=${event.EventId}`,
        typeof event?.ContextIdentifier === 'string' && `tenant=${event.ContextIdentifier}`,
        info.handler !== undefined && `handler=${info.handler}`,
      ].filter(Boolean)
      const level = levelOf(error)
      const job = info.job
      // A worker's attempt is no HTTP answer: the delivery was answered 200 when it was stored.
      const answered = job
        ? `inbox job attempt ${job.attempt} of ${job.attempts}, ${job.attempt < job.attempts ? 'will be retried' : 'no attempts left: dead letter'}`
        : info.status === error.status
          ? `answered ${info.status}`
          : `answered ${info.status} before`
      const line = `${error.code} (${answered})${where.length ? ` ${where.join(' ')}` : ''}: ${error.message}`
      // A worker's line carries the handler's message, not its stack: the stack is kept with the job.
      const detail = job
        ? causeMessage(error.cause)
        : error.status >= 500
          ? error.cause
          : error.cause instanceof Error
            ? error.cause.message
            : undefined
      // Keyed by code and handler, not by event name: names come from the sender, keys must not.
      write(level, `${error.code}|${info.handler ?? ''}`, line, detail)
      for (const handler of errorHandlers) listen(() => handler(error, info))
      if (onFailure) listen(() => onFailure(error, info))
    },
    /** Whether anything listens for outcomes or traces. */
    get observed() {
      return outcomeHandlers.length > 0 || receiveChannel?.hasSubscribers === true
    },
    /** Runs one delivery under the diagnostics channel and tells the outcome listeners. */
    trace(
      input: SuperOfficeWebhookInput,
      run: () => Promise<SuperOfficeWebhookAnswer>,
    ): Promise<SuperOfficeWebhookAnswer> {
      const started = performance.now()
      const message: SuperOfficeReceiveMessage = { input }
      const finish = (answer: SuperOfficeWebhookAnswer) => {
        message.answer = answer
        message.outcome = outcomeOf(answer, performance.now() - started)
        for (const handler of outcomeHandlers) listen(() => handler(message.outcome as SuperOfficeOutcome))
        return answer
      }
      if (receiveChannel?.hasSubscribers) return receiveChannel.tracePromise(() => run().then(finish), message)
      return run().then(finish)
    },
  }
}

function outcomeOf(answer: SuperOfficeWebhookAnswer, durationMs: number): SuperOfficeOutcome {
  const body = answer.body
  const code = body.ok
    ? body.duplicate
      ? 'duplicate'
      : body.test
        ? 'test'
        : body.handled === false
          ? 'unhandled'
          : body.deferred
            ? 'deferred'
            : body.queued
              ? 'queued'
              : body.ignored
                ? 'ignored'
                : 'handled'
    : body.error
  const event = answer.event
  return {
    code,
    status: answer.status,
    event: typeof event?.Event === 'string' ? event.Event : undefined,
    eventId: typeof event?.EventId === 'string' ? event.EventId : undefined,
    tenant: typeof event?.ContextIdentifier === 'string' ? event.ContextIdentifier : undefined,
    duplicate: code === 'duplicate',
    durationMs,
  }
}

function causeMessage(cause: unknown): string | undefined {
  if (cause === undefined) return undefined
  const text = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)
  return text.length > 500 ? `${text.slice(0, 500)}…` : text
}
