import type { Queue } from 'bullmq'
import type { Engine, EngineLogger } from './engine.js'

/** How long a refusal of the store stands before the settings are read again (they may be fixed live). */
const RECHECK_REFUSED_MS = 10_000
const CONFIG_CHECK_MS = 30_000

/** The inbox's start-up: the store opened and its settings checked, and kept checked. */
export interface Startup {
  /** Resolves once the store is open and its settings accepted; rejects with the refusal or the outage. */
  ready(): Promise<void>
  /** Whether the store is open now (no check pending). */
  readonly opened: boolean
  /** The queue, once ready. */
  queue(): Promise<Queue>
  /** Stops the checks; `ready` rejects from then on. */
  close(): void
  readonly closed: boolean
}

/**
 * Opens the store once: a pass stands (until a lost connection or a recheck refuses the settings),
 * a refusal stands for a while (the settings may be fixed live), a store that could not be reached
 * is asked again on the next call. It starts at once, so a refused store is named in the log at
 * boot, not at the first event. The settings can change later (CONFIG SET, a failover to a
 * replica with other settings): they are checked again on a timer and after every lost
 * connection, and a refusal turns the inbox back to "not open", so deliveries are answered 500
 * until the settings are right.
 */
export function createStartup(
  engine: Engine,
  logger: EngineLogger | undefined,
  configCheckIntervalMs: number | undefined,
): Startup {
  let closed = false
  let opened = false
  let opening: Promise<void> | undefined
  let refusal: { error: Error; at: number } | undefined
  const ready = (): Promise<void> => {
    if (opened) return Promise.resolve()
    if (closed) return Promise.reject(new Error('The inbox is closed.'))
    if (refusal && Date.now() - refusal.at < RECHECK_REFUSED_MS) return Promise.reject(refusal.error)
    opening ??= engine
      .open()
      .then(
        () => {
          refusal = undefined
          opened = true
        },
        (error: unknown) => {
          if (engine.refused(error)) refusal = { error: error as Error, at: Date.now() }
          throw error
        },
      )
      .finally(() => {
        opening = undefined
      })
    return opening
  }
  ready().catch((error: unknown) => {
    if (engine.refused(error)) logger?.error(`superoffice-webhooks: ${(error as Error).message}`)
  })
  const recheck = async () => {
    if (!opened || closed || !engine.recheck) return
    try {
      await engine.recheck()
    } catch (error) {
      if (!engine.refused(error) || !opened) return
      opened = false
      refusal = { error: error as Error, at: Date.now() }
      logger?.error(`superoffice-webhooks: ${(error as Error).message}`)
    }
  }
  const checkTimer = engine.recheck
    ? setInterval(() => void recheck(), configCheckIntervalMs ?? CONFIG_CHECK_MS)
    : undefined
  checkTimer?.unref()
  engine.onReconnect?.(() => {
    // The server that answers now may not be the one checked: the next delivery waits for a check.
    opened = false
  })
  return {
    ready,
    get opened() {
      return opened
    },
    get closed() {
      return closed
    },
    async queue() {
      await ready()
      return engine.queue as Queue
    },
    close() {
      closed = true
      clearInterval(checkTimer)
    },
  }
}
