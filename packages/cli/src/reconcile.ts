import { reconcile as recover } from '@superoffice-webhooks/api'
import { createBullMQInbox } from '@superoffice-webhooks/bullmq'
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'
import { clean, dim, EXIT, errRed, green, parse, positiveInt, UsageError } from './common.js'
import { errorLine, fleetApiFrom, systemUserTokensFrom } from './webhooks.js'

/**
 * `reconcile`: gap recovery from a shell. The rows of a tenant changed in a window (a webhook
 * stopped by TooManyErrors, an outage) are read from SuperOffice's lists and put into the app's
 * inbox as `<entity>.changed` events marked `context.reconciled`; the app's workers run them.
 */
export async function reconcileCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    tenant: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    entities: { type: 'string' },
    'page-size': { type: 'string' },
    redis: { type: 'string' },
    postgres: { type: 'string' },
    queue: { type: 'string' },
    prefix: { type: 'string' },
    environment: { type: 'string' },
    'app-token': { type: 'string' },
    'private-key': { type: 'string' },
    'system-user-token': { type: 'string' },
    'system-user-tokens': { type: 'string' },
  })
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'.`)
  const tenant = values.tenant ?? process.env.SUPEROFFICE_TENANT
  if (!tenant) throw new UsageError('reconcile needs --tenant <ContextIdentifier> (Cust12345).')
  if (!values.since)
    throw new UsageError('reconcile needs --since <ISO time>: the start of the window without deliveries.')
  for (const [name, value] of [
    ['since', values.since],
    ['until', values.until],
  ] as const) {
    if (value !== undefined && Number.isNaN(new Date(value).getTime())) {
      throw new UsageError(`--${name} must be a date (2026-11-25T08:00:00Z), not '${value}'.`)
    }
  }
  const entities = values.entities
    ?.split(',')
    .map((e) => e.trim())
    .filter(Boolean)
  const url = values.redis || values.postgres || process.env.REDIS_URL || process.env.DATABASE_URL
  if (!url || !/^(rediss?|postgres(ql)?):\/\//.test(url)) {
    throw new UsageError(
      "reconcile puts the events into the app's inbox: pass --redis redis://host:6379 (or REDIS_URL), or --postgres postgres://… (or DATABASE_URL).",
    )
  }
  const single = values['system-user-token'] ?? process.env.SUPEROFFICE_SYSTEM_USER_TOKEN
  const tokens =
    values['system-user-tokens'] || process.env.SUPEROFFICE_SYSTEM_USER_TOKENS || !single
      ? systemUserTokensFrom(values)
      : new Map([[tenant, single]])
  const api = fleetApiFrom(values, tokens)
  const inbox = createBullMQInbox({
    connection: url,
    logger: false,
    ...(values.queue ? { queueName: values.queue } : {}),
    ...(values.prefix ? { prefix: values.prefix } : {}),
  })
  const json = values.json === true
  try {
    // Only a way into the inbox: it takes no requests, so no secret (any request would get 401).
    const webhooks = createSuperOfficeWebhooks({ inbox, secret: () => undefined, logger: false })
    await inbox.ready()
    const result = await recover({
      api,
      webhooks,
      tenant,
      since: values.since,
      ...(values.until ? { until: values.until } : {}),
      ...(entities?.length ? { entities } : {}),
      pageSize: positiveInt(values['page-size'], 'page-size', 200),
      onProgress: ({ entity, rows }) => {
        if (!json && process.stderr.isTTY) process.stderr.write(`\r${dim(`${entity}: ${rows} rows`)}   `)
      },
    })
    if (!json && process.stderr.isTTY) process.stderr.write('\n')
    if (json) console.log(JSON.stringify(result))
    else {
      for (const [entity, counts] of Object.entries(result.entities)) {
        console.log(`${clean(entity)}: ${counts.rows} rows changed, ${green(`${counts.queued} queued`)}`)
      }
      console.log(`${result.total} rows of ${clean(tenant)} from ${result.since} to ${result.until} into the inbox`)
    }
    return EXIT.ok
  } catch (error) {
    if (error instanceof UsageError) throw error
    console.error(`${errRed('error')}: ${errorLine(error)}`)
    return (error as { status?: unknown }).status === 0 ? EXIT.unreachable : EXIT.failed
  } finally {
    await inbox.close()
  }
}
