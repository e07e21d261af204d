import { createBullMQInbox } from '@superoffice-webhooks/bullmq'
import { clean, dim, EXIT, green, parse, positiveInt, red, UsageError } from './common.js'

/** `inbox …`: the dead letters, stored events and tenants of a BullMQ inbox on Redis or PostgreSQL. */
export async function inbox(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    redis: { type: 'string' },
    postgres: { type: 'string' },
    queue: { type: 'string' },
    prefix: { type: 'string' },
    all: { type: 'boolean' },
    id: { type: 'string', multiple: true },
    since: { type: 'string' },
    until: { type: 'string' },
    event: { type: 'string', multiple: true },
    state: { type: 'string' },
    limit: { type: 'string' },
    timeout: { type: 'string' },
    tenant: { type: 'string' },
  })
  const [action, ...extra] = positionals
  const tenantActions = ['pause-tenant', 'resume-tenant', 'purge-tenant']
  if (
    action !== 'stats' &&
    action !== 'failed' &&
    action !== 'retry' &&
    action !== 'replay' &&
    !tenantActions.includes(action ?? '')
  ) {
    throw new UsageError(
      'inbox needs an action: inbox stats | inbox failed | inbox retry (--all | --id <job id>) | inbox replay (--id <job id> | --since, --until, --event, --state) | inbox pause-tenant|resume-tenant|purge-tenant --tenant <ContextIdentifier>.',
    )
  }
  if (tenantActions.includes(action ?? '') && !values.tenant) {
    throw new UsageError(`inbox ${action} needs --tenant <ContextIdentifier> (Cust12345).`)
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'.`)
  // The inbox's store: Redis, or PostgreSQL (BullMQ 6's backend), as the library takes them.
  const url = values.redis || values.postgres || process.env.REDIS_URL || process.env.DATABASE_URL
  if (!url) {
    throw new UsageError(
      'no store: pass --redis redis://host:6379 (or REDIS_URL), or --postgres postgres://… (or DATABASE_URL).',
    )
  }
  if (!/^(rediss?|postgres(ql)?):\/\//.test(url)) {
    throw new UsageError(`'${shown(url)}' is not a redis:// or postgres:// URL.`)
  }
  const store = url.startsWith('redis') ? 'Redis' : 'PostgreSQL'
  if (action === 'retry' && (!values.all === (values.id === undefined) || (values.id?.length ?? 0) > 1)) {
    throw new UsageError('inbox retry needs exactly one of --all or --id <job id>.')
  }
  const state = values.state
  if (state !== undefined && state !== 'completed' && state !== 'failed') {
    throw new UsageError(`--state must be completed or failed, not '${state}'.`)
  }
  for (const [name, value] of [
    ['since', values.since],
    ['until', values.until],
  ] as const) {
    if (value !== undefined && Number.isNaN(new Date(value).getTime())) {
      throw new UsageError(`--${name} must be a date (2026-11-25T08:00:00Z), not '${value}'.`)
    }
  }
  if (action === 'replay' && values.id && (values.since || values.until || values.event || state)) {
    throw new UsageError(
      'inbox replay takes either --id or the filters (--since, --until, --event, --state), not both.',
    )
  }
  const limit = positiveInt(values.limit, 'limit', action === 'replay' ? 10_000 : 20)
  const timeout = positiveInt(values.timeout, 'timeout', 5000)
  const json = values.json === true

  // Reading and retrying dead letters: the inbox's start-up checks are the receiver's business.
  const queue = createBullMQInbox({
    connection: url,
    logger: false,
    allowEvictingRedis: true,
    ...(values.queue ? { queueName: values.queue } : {}),
    ...(values.prefix ? { prefix: values.prefix } : {}),
  })
  let timer: ReturnType<typeof setTimeout> | undefined
  const unreachable = new Promise<'unreachable'>((resolve) => {
    timer = setTimeout(() => resolve('unreachable'), timeout)
  })
  try {
    const run = async (): Promise<number> => {
      if (action === 'stats') {
        const stats = await queue.stats()
        if (json) console.log(JSON.stringify(stats))
        else {
          const failed = stats.failed > 0 ? red(String(stats.failed)) : green('0')
          console.log(
            `waiting ${stats.waiting}  active ${stats.active}  delayed ${stats.delayed}  completed ${stats.completed}  failed ${failed}`,
          )
        }
        return EXIT.ok
      }
      if (action === 'failed') {
        const jobs = await queue.failed({ limit })
        if (json) console.log(JSON.stringify(jobs))
        else if (jobs.length === 0) console.log(green('no failed jobs'))
        else {
          for (const job of jobs) {
            const where = [
              `tenant=${job.tenant ?? '-'}`,
              `key=${job.primaryKey ?? '-'}`,
              `attempts=${job.attempts}`,
              `handler=${job.handler ?? '-'}`,
              `at=${job.failedAt ?? '-'}`,
            ].join(' ')
            console.log(`${clean(job.id)}  ${clean(job.event ?? '(data gone)')}  ${dim(clean(where))}`)
            console.log(`  ${red(clean(job.failedReason))}`)
          }
        }
        return EXIT.ok
      }
      const tenant = values.tenant as string
      if (action === 'pause-tenant') {
        await queue.pauseTenant(tenant)
        if (json) console.log(JSON.stringify({ tenant, paused: true }))
        else console.log(green(`${clean(tenant)} paused: its events are stored, not run, until resume-tenant`))
        return EXIT.ok
      }
      if (action === 'resume-tenant') {
        const resumed = await queue.resumeTenant(tenant)
        if (json) console.log(JSON.stringify({ tenant, paused: false, resumed }))
        else console.log(green(`${clean(tenant)} resumed: ${resumed} parked job(s) run now`))
        return EXIT.ok
      }
      if (action === 'purge-tenant') {
        const purged = await queue.purgeTenant(tenant)
        if (json) console.log(JSON.stringify({ tenant, ...purged }))
        else
          console.log(
            `${clean(tenant)}: ${purged.total} job(s) removed (waiting ${purged.waiting}, delayed ${purged.delayed}, failed ${purged.failed}, handled ${purged.completed})`,
          )
        return EXIT.ok
      }
      if (action === 'replay') {
        const result = await queue.replay(
          values.id
            ? { ids: values.id }
            : {
                ...(values.since ? { since: values.since } : {}),
                ...(values.until ? { until: values.until } : {}),
                ...(values.event ? { events: values.event.flatMap((e) => e.split(',')) } : {}),
                ...(state ? { state } : {}),
                limit,
              },
        )
        if (json) console.log(JSON.stringify(result))
        else
          console.log(result.replayed > 0 ? green(`${result.replayed} event(s) queued again`) : red('nothing matched'))
        return result.replayed > 0 ? EXIT.ok : EXIT.failed
      }
      const retried = await queue.retry(values.all ? { all: true } : { id: values.id?.[0] as string })
      if (json) console.log(JSON.stringify({ retried }))
      else console.log(retried > 0 ? green(`${retried} job(s) back in the queue`) : red('no such failed job'))
      return retried > 0 ? EXIT.ok : EXIT.failed
    }
    // Whatever the store does (no answer, refused connections, a lost one mid-command), the
    // command ends with one line and exit 3 within --timeout.
    const result = await Promise.race([run().catch((error: unknown) => ({ error })), unreachable])
    if (result === 'unreachable') {
      console.error(`${red('error')}: ${store} at ${shown(url)} did not answer within ${timeout} ms.`)
      return EXIT.unreachable
    }
    if (typeof result === 'object') {
      const message = result.error instanceof Error ? result.error.message : String(result.error)
      console.error(
        `${red('error')}: ${store} at ${shown(url)} could not be used: ${clean(message.split('\n')[0] ?? '')}`,
      )
      return EXIT.unreachable
    }
    return result
  } finally {
    clearTimeout(timer)
    // Closing waits for a connection that may never come; do not let it hold the process.
    void queue.close().catch(() => {})
  }
}

/** A store URL without its password, for messages. */
function shown(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.href.replace(/\/$/, '')
  } catch {
    return url
  }
}
