import { randomUUID } from 'node:crypto'
import { inboxJobId } from '@superoffice-webhooks/core/adapter'
import { type Engine, sleep } from './engine.js'

/**
 * A tenant as part of a store key: encoded as core encodes a job id's parts (URI-encoded, a lone
 * surrogate as `%uD800`), so any ContextIdentifier makes a distinct key and none throws.
 */
export function tenantKey(tenant: string | undefined): string {
  return inboxJobId(tenant, '').slice('so/'.length, -1)
}

/** What holds a tenant's jobs back before they run: a pause, or SuperOffice's throttle. */
export interface TenantHold {
  paused: boolean
  /** Epoch ms until which SuperOffice asked the tenant's calls to wait. */
  throttledUntil: number | undefined
}

/** A tenant's slot (of its `concurrency`), held while one of its jobs runs. */
export interface TenantSlot {
  /** Frees the slot and wakes the tenant's next waiting job. */
  release(): Promise<void>
}

/** Tenants held back, by tenant key: paused (since when), or throttled (until when, epoch ms). */
type Held = Record<string, { paused?: string; until?: number }>

const HELD_KEY = 'held-tenants'
const HELD_LOCK = 'held-tenants-lock'
const HELD_TTL_MS = 365 * 24 * 60 * 60_000

/**
 * The per-tenant state the worker consults before each job: paused and throttled tenants, and the
 * tenant's running slots when fairness caps them.
 *
 * The held tenants are one small value in the store (changed under a lock, so every process sees
 * the same), read by each worker process at most once a second: with 1,000 tenants a job costs no
 * round trip for it. A snapshot that says "held" is read again before the job is held back, so a
 * tenant resumed elsewhere is never held again from a stale answer; one paused elsewhere stops
 * within a second.
 *
 * The cap: slot `i` of tenant `t` is a lock (`fair-slot/t/i`) with a time to live, renewed while
 * its job runs, so a killed worker's slot is free again once it expires. A job that finds every
 * slot taken is put on its tenant's waiting list and moved to `delayed`; whoever frees a slot
 * promotes the first job on that list. The delay is only a fallback (a list entry lost with a
 * killed worker), so a tenant's backlog costs one move per job, not a poll.
 */
export function createTenantGate(engine: Engine, options: { concurrency: number | undefined }) {
  const waitingKey = (tenant: string | undefined) => `fair-waiting/${tenantKey(tenant)}`
  let snapshot: { at: number; held: Held } | undefined

  const read = async (): Promise<Held> => {
    const text = await engine.getValue(HELD_KEY)
    if (text === undefined) return {}
    try {
      const held: unknown = JSON.parse(text)
      return typeof held === 'object' && held !== null ? (held as Held) : {}
    } catch {
      return {}
    }
  }
  const fresh = async () => {
    snapshot = { at: Date.now(), held: await read() }
    return snapshot.held
  }
  /** Changes the held tenants under the store's lock (expired throttles dropped on the way). */
  const update = async (change: (held: Held) => void) => {
    const token = randomUUID()
    for (let delay = 2; !(await engine.lockRow(HELD_LOCK, token, 10_000)); delay = Math.min(delay * 2, 50)) {
      await sleep(delay + Math.random() * delay)
    }
    try {
      const held = await read()
      const now = Date.now()
      for (const [key, entry] of Object.entries(held)) if (!entry.paused && (entry.until ?? 0) <= now) delete held[key]
      change(held)
      await engine.setValue(HELD_KEY, JSON.stringify(held), HELD_TTL_MS)
    } finally {
      await engine.unlockRow(HELD_LOCK, token).catch(() => {})
      snapshot = undefined
    }
  }
  const holdOf = (entry: Held[string] | undefined): TenantHold => ({
    paused: entry?.paused !== undefined,
    throttledUntil: entry?.until !== undefined && entry.until > Date.now() ? entry.until : undefined,
  })

  const hold = async (tenant: string | undefined): Promise<TenantHold> => {
    const key = tenantKey(tenant)
    const held = snapshot && Date.now() - snapshot.at < 1000 ? snapshot.held : await fresh()
    const seen = holdOf(held[key])
    if (!seen.paused && seen.throttledUntil === undefined) return seen
    // Held in a snapshot: confirmed against the store before the job is held back.
    return snapshot && snapshot.held === held && Date.now() - snapshot.at < 50 ? seen : holdOf((await fresh())[key])
  }

  return {
    hold,
    forget(_tenant: string | undefined) {
      snapshot = undefined
    },
    pause: (tenant: string, _ttlMs: number) =>
      update((held) => {
        held[tenantKey(tenant)] = { ...held[tenantKey(tenant)], paused: new Date().toISOString() }
      }),
    unpause: (tenant: string) =>
      update((held) => {
        const entry = held[tenantKey(tenant)]
        if (!entry) return
        delete entry.paused
        if (entry.until === undefined || entry.until <= Date.now()) delete held[tenantKey(tenant)]
      }),
    /** Holds a tenant's jobs until `until` (a later throttle wins over an earlier one). */
    async throttle(tenant: string | undefined, until: number) {
      const current = snapshot?.held[tenantKey(tenant)]?.until ?? 0
      if (current >= until) return
      await update((held) => {
        const entry = held[tenantKey(tenant)] ?? {}
        if ((entry.until ?? 0) < until) entry.until = until
        held[tenantKey(tenant)] = entry
      })
    },
    /** Takes a free slot of the tenant, or `undefined` when all are taken (no cap: always one). */
    async takeSlot(tenant: string | undefined, token: string, ttlMs: number): Promise<TenantSlot | undefined> {
      const cap = options.concurrency
      if (cap === undefined) return { release: async () => {} }
      const first = Math.floor(Math.random() * cap)
      for (let n = 0; n < cap; n++) {
        const key = `fair-slot/${tenantKey(tenant)}/${(first + n) % cap}`
        if (!(await engine.lockRow(key, token, ttlMs))) continue
        const renew = setInterval(() => {
          engine.renewRow(key, token, ttlMs).catch(() => {})
        }, ttlMs / 3)
        let released = false
        return {
          release: async () => {
            if (released) return
            released = true
            clearInterval(renew)
            await engine.unlockRow(key, token).catch(() => {})
          },
        }
      }
      return undefined
    },
    /** Puts a job (already moved to delayed) on its tenant's list of jobs waiting for a slot. */
    wait: (tenant: string | undefined, jobId: string, ttlMs: number) =>
      engine.pushToList(waitingKey(tenant), jobId, ttlMs),
    /** The next job waiting for one of the tenant's slots, or `undefined`. */
    next: (tenant: string | undefined) => engine.popFromList(waitingKey(tenant)),
    /** Forgets a tenant's waiting list (its jobs were purged). */
    clear: (tenant: string) => engine.clearList(waitingKey(tenant)),
  }
}

export type TenantGate = ReturnType<typeof createTenantGate>
