import { inboxJobId } from '@superoffice-webhooks/core'
import type { Engine } from './engine.js'

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

/**
 * The per-tenant state the worker consults before each job: paused and throttled tenants (values
 * in the store, so every process sees them), and the tenant's running slots when fairness caps
 * them. Only "nothing holds this tenant" is cached, for a second, so a tenant resumed elsewhere
 * is never held again from a stale answer.
 *
 * The cap: slot `i` of tenant `t` is a lock (`fair-slot/t/i`) with a time to live, renewed while
 * its job runs, so a killed worker's slot is free again once it expires. A job that finds every
 * slot taken is put on its tenant's waiting list and moved to `delayed`; whoever frees a slot
 * promotes the first job on that list. The delay is only a fallback (a list entry lost with a
 * killed worker), so a tenant's backlog costs one move per job, not a poll.
 */
export function createTenantGate(engine: Engine, options: { concurrency: number | undefined }) {
  const pausedKey = (tenant: string | undefined) => `paused/${tenantKey(tenant)}`
  const throttleKey = (tenant: string | undefined) => `throttled/${tenantKey(tenant)}`
  const waitingKey = (tenant: string | undefined) => `fair-waiting/${tenantKey(tenant)}`
  const freeCache = new Map<string, number>()

  const hold = async (tenant: string | undefined): Promise<TenantHold> => {
    const key = tenant ?? ''
    const at = freeCache.get(key)
    if (at !== undefined && Date.now() - at < 1000) return { paused: false, throttledUntil: undefined }
    const [paused, throttled] = await Promise.all([
      engine.getValue(pausedKey(tenant)),
      engine.getValue(throttleKey(tenant)),
    ])
    const until = throttled === undefined ? undefined : Number(throttled)
    const result = {
      paused: paused !== undefined,
      throttledUntil: until !== undefined && until > Date.now() ? until : undefined,
    }
    if (result.paused || result.throttledUntil !== undefined) freeCache.delete(key)
    else {
      if (freeCache.size > 10_000) freeCache.clear()
      freeCache.set(key, Date.now())
    }
    return result
  }

  return {
    hold,
    forget(tenant: string | undefined) {
      freeCache.delete(tenant ?? '')
    },
    pause: (tenant: string, ttlMs: number) => engine.setValue(pausedKey(tenant), new Date().toISOString(), ttlMs),
    unpause: (tenant: string) => engine.setValue(pausedKey(tenant), undefined, 0),
    /** Holds a tenant's jobs until `until` (a later throttle wins over an earlier one). */
    async throttle(tenant: string | undefined, until: number) {
      const current = Number((await engine.getValue(throttleKey(tenant))) ?? 0)
      if (current >= until) return
      await engine.setValue(throttleKey(tenant), String(until), until - Date.now())
      freeCache.delete(tenant ?? '')
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
