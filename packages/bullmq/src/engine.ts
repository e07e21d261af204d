import type { SuperOfficeInboxJob } from '@superoffice-webhooks/core'
import type { Job, Queue, Worker } from 'bullmq'

/** What BullMQ's Worker takes besides the processor: ours, minus the connection the engine adds. */
export interface EngineWorkerOptions {
  concurrency: number
  autorun: false
  lockDuration?: number
  stalledInterval?: number
}

/**
 * Where the queue lives: Redis (BullMQ 5 and 6) or PostgreSQL (BullMQ 6's backend). The inbox
 * runs the same jobs, checks and worker on either; an engine only opens, connects and closes.
 */
export interface Engine {
  readonly name: 'Redis' | 'PostgreSQL'
  /** The queue, once `open` has resolved (Redis has it at once). */
  readonly queue: Queue | undefined
  /**
   * Connects and checks the store's settings: resolves once jobs can be stored; rejects with an
   * error that {@link Engine.refused} recognises when the settings are refused, otherwise (an
   * outage) with the connection error.
   */
  open(): Promise<void>
  /**
   * Checks the settings again on an open store (Redis: the eviction policy); rejects like `open`
   * when they are now refused. Absent when nothing can change.
   */
  recheck?(): Promise<void>
  /** Calls `listener` each time the store's connection is back after a loss. */
  onReconnect?(listener: () => void): void
  /** Whether a job could be stored now, without waiting for a connection. */
  connected(): boolean
  /** A worker for the queue (after `open`). */
  worker(
    processor: (job: Job<SuperOfficeInboxJob>, token?: string) => Promise<void>,
    options: EngineWorkerOptions,
  ): Worker<SuperOfficeInboxJob>
  /** Whether an error of `open` refuses the store's configuration (it stands), not an outage. */
  refused(error: unknown): boolean
  /**
   * Takes the lock of one row for `ttlMs` (ordered work: one job per row at a time across every
   * worker); `false` when another worker holds it. The lock expires, so a crashed worker's row
   * is freed.
   */
  lockRow(key: string, token: string, ttlMs: number): Promise<boolean>
  /** Extends a row's lock to `ttlMs` from now, only while it is still this token's. */
  renewRow(key: string, token: string, ttlMs: number): Promise<boolean>
  /** A small value of the inbox's own (coalescing's bookkeeping), or `undefined`. */
  getValue(key: string): Promise<string | undefined>
  /** Stores a value for `ttlMs`, or deletes it (`undefined`). */
  setValue(key: string, value: string | undefined, ttlMs: number): Promise<void>
  /**
   * Adds `delta` to a counter of the inbox's own (never below 0; kept `ttlMs` after its last
   * change) and returns the new value.
   */
  addToCounter(key: string, delta: number, ttlMs: number): Promise<number>
  /** Appends a value to a list of the inbox's own (kept `ttlMs` after its last push). */
  pushToList(key: string, value: string, ttlMs: number): Promise<void>
  /** Takes the first value of a list, or `undefined` when it is empty. */
  popFromList(key: string): Promise<string | undefined>
  /** Deletes a list. */
  clearList(key: string): Promise<void>
  /** Frees a row's lock, only while it is still this token's. */
  unlockRow(key: string, token: string): Promise<void>
  close(): Promise<void>
}

/** Where the inbox writes its warnings. */
export interface EngineLogger {
  warn(message: string, ...details: unknown[]): void
  error(message: string, ...details: unknown[]): void
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}

/** An error that refuses a store's configuration: it stands until the settings change. */
export class RefusedStoreError extends Error {
  override readonly name = 'RefusedStoreError'
}
