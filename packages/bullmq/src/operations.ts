import type { SuperOfficeInboxJob } from '@superoffice-webhooks/core'
import type { Job } from 'bullmq'
import { withTimeout } from './engine.js'
import { failedJob } from './failed-jobs.js'
import type { InboxState } from './state.js'
import type {
  BullMQInbox,
  BullMQInboxStats,
  BullMQInboxStatsByTenant,
  BullMQPurgeResult,
  BullMQTenantStats,
} from './types.js'
import { PARKED_MS } from './worker.js'

type Operations = Pick<
  BullMQInbox,
  'stats' | 'failed' | 'replay' | 'retry' | 'pauseTenant' | 'isTenantPaused' | 'resumeTenant' | 'purgeTenant'
>

/**
 * What an operator does with the stored jobs: counts (per tenant too), the dead letters, replays
 * and retries, and a tenant's lifecycle (pause, resume, purge).
 */
export function createOperations(state: InboxState): Operations {
  const { engine } = state
  return {
    // One body for both overloads: without byTenant the answer has no `tenants`.
    async stats(options?: { byTenant?: boolean }): Promise<BullMQInboxStatsByTenant> {
      const q = await state.startup.queue()
      const counts = await q.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed')
      const totals: BullMQInboxStats = {
        // Jobs placed by priority (fairness) wait too.
        waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        completed: counts.completed ?? 0,
        failed: counts.failed ?? 0,
      }
      if (!options?.byTenant) return totals as BullMQInboxStatsByTenant
      const tenants: Record<string, BullMQTenantStats> = {}
      const now = Date.now()
      for (const [state, bullStates] of [
        ['waiting', ['waiting', 'prioritized']],
        ['active', ['active']],
        ['delayed', ['delayed']],
        ['failed', ['failed']],
      ] as const) {
        for (const bullState of bullStates) {
          for (let start = 0; ; start += 500) {
            const page = (await q.getJobs([bullState], start, start + 499)) as (Job<SuperOfficeInboxJob> | undefined)[]
            for (const job of page) {
              if (!job) continue
              const tenant = job.data?.tenant ?? ''
              tenants[tenant] ??= { waiting: 0, active: 0, delayed: 0, parked: 0, failed: 0, oldestWaitingMs: 0 }
              const t = tenants[tenant]
              if (state === 'delayed' && job.data?.parked) t.parked++
              else t[state]++
              if (state === 'waiting' || state === 'delayed') {
                t.oldestWaitingMs = Math.max(t.oldestWaitingMs, now - job.timestamp)
              }
            }
            if (page.length < 500) break
          }
        }
      }
      return { ...totals, tenants }
    },
    async failed({ limit = 100 } = {}) {
      const jobs = (await (await state.startup.queue()).getFailed(0, limit - 1)) as (
        | Job<SuperOfficeInboxJob>
        | undefined
      )[]
      return jobs.filter((job): job is Job<SuperOfficeInboxJob> => job !== undefined).map(failedJob)
    },
    async replay(which) {
      const q = await state.startup.queue()
      const at = new Date()
      const selected: Job<SuperOfficeInboxJob>[] = []
      if ('ids' in which) {
        for (const id of which.ids) {
          const job = (await q.getJob(id)) as Job<SuperOfficeInboxJob> | undefined
          if (job) selected.push(job)
        }
      } else {
        const limit = which.limit ?? 10_000
        const since = which.since === undefined ? Number.NEGATIVE_INFINITY : new Date(which.since).getTime()
        const until = which.until === undefined ? Number.POSITIVE_INFINITY : new Date(which.until).getTime()
        if (Number.isNaN(since) || Number.isNaN(until)) throw new RangeError('replay: since and until must be dates.')
        const states = which.state ? [which.state] : (['completed', 'failed'] as const)
        for (const state of states) {
          for (let start = 0; selected.length < limit; start += 500) {
            const page = (await q.getJobs([state], start, start + 499)) as (Job<SuperOfficeInboxJob> | undefined)[]
            for (const job of page) {
              if (!job || selected.length >= limit) continue
              if (job.timestamp < since || job.timestamp >= until) continue
              if (which.events && !which.events.includes(job.data?.event)) continue
              selected.push(job)
            }
            if (page.length < 500) break
          }
        }
      }
      const ids: string[] = []
      for (const job of selected) {
        if (typeof job.data?.body !== 'string') continue // its data is gone: nothing to run
        const of = job.data.replay?.of ?? String(job.id)
        const id = `${of}/replay/${at.getTime()}`
        const data = { ...job.data, replay: { of, at: at.toISOString() } }
        await q.add(job.data.event, data, { ...state.jobOptions, ...(await state.placeOf(data)), jobId: id })
        ids.push(id)
      }
      return { replayed: ids.length, ids }
    },
    async retry(which) {
      const q = await state.startup.queue()
      if ('id' in which) {
        const job = await q.getJob(which.id)
        if (!job || !(await job.isFailed())) return 0
        await job.retry('failed')
        if (state.fair) await state.placeOf(job.data as SuperOfficeInboxJob) // back in its tenant's backlog
        return 1
      }
      if (state.fair) {
        // One by one, so each returns to its own tenant's backlog.
        let retried = 0
        for (;;) {
          const page = (await q.getJobs(['failed'], 0, 499)) as (Job<SuperOfficeInboxJob> | undefined)[]
          const jobs = page.filter((job): job is Job<SuperOfficeInboxJob> => job !== undefined)
          if (jobs.length === 0) return retried
          for (const job of jobs) {
            await job.retry('failed')
            await state.placeOf(job.data)
            retried++
          }
        }
      }
      const count = (await q.getJobCounts('failed')).failed ?? 0
      await q.retryJobs({ state: 'failed', count: 1000 })
      return count
    },
    async pauseTenant(tenant) {
      // Bounded like a delivery's store: a store that does not answer fails the call, not hangs it.
      const bound = Math.max(state.timeoutMs, 5000)
      await withTimeout(state.startup.ready(), bound, `${engine.name} did not answer`)
      await withTimeout(state.gate.pause(tenant, PARKED_MS), bound, `${engine.name} did not store the pause`)
      state.gate.forget(tenant)
    },
    async isTenantPaused(tenant) {
      await state.startup.ready()
      state.gate.forget(tenant)
      return (await state.gate.hold(tenant)).paused
    },
    async resumeTenant(tenant) {
      const q = await state.startup.queue()
      await withTimeout(
        state.gate.unpause(tenant),
        Math.max(state.timeoutMs, 5000),
        `${engine.name} did not store the resume`,
      )
      state.gate.forget(tenant)
      let resumed = 0
      for (const job of await state.jobsOfTenant(q, tenant, ['delayed'])) {
        if (!job.data?.parked) continue
        const { parked: _parked, ...data } = job.data
        await job.updateData(data)
        await job.promote().catch(() => {}) // already taken by a worker: nothing to promote
        resumed++
      }
      return resumed
    },
    async purgeTenant(tenant) {
      const q = await state.startup.queue()
      const result: BullMQPurgeResult = { waiting: 0, delayed: 0, failed: 0, completed: 0, total: 0 }
      for (const [kind, states] of [
        ['waiting', ['waiting', 'prioritized']],
        ['delayed', ['delayed']],
        ['failed', ['failed']],
        ['completed', ['completed']],
      ] as const) {
        for (const job of await state.jobsOfTenant(q, tenant, [...states])) {
          try {
            await job.remove()
            result[kind]++
            result.total++
          } catch {} // taken by a worker meanwhile: it finishes
        }
      }
      // Its backlog is gone: its next job is first in its turn again.
      if (state.fair) await engine.setValue(state.backlogKey(tenant), undefined, 0)
      if (state.fair?.concurrency !== undefined) await state.gate.clear(tenant)
      return result
    },
  }
}
