import {
  createSuperOfficeWebhookClient,
  ensureTenantWebhooks,
  type TenantWebhookRestart,
  type TenantWebhookResult,
  watchTenantWebhooks,
} from '@superoffice-webhooks/admin'
import type { SuperOfficeSecretStore } from '@superoffice-webhooks/core'
import { createPostgresSecretStore } from '@superoffice-webhooks/postgres'
import { createRedisSecretStore } from '@superoffice-webhooks/redis'
import { Redis } from 'ioredis'
import pg from 'pg'
import { clean, dim, EXIT, errRed, green, positiveInt, red, UsageError, yellow } from './common.js'
import { errorLine, fleetApiFrom, redact, systemUserTokensFrom, table } from './webhooks.js'

type FleetValues = Record<string, string | boolean | string[] | undefined>

/** A secret store from a URL (`redis://…`, `postgres://…`), and how to close its connection. */
export function secretStoreFrom(url: string): { store: SuperOfficeSecretStore; close(): Promise<void> } {
  if (/^rediss?:\/\//.test(url)) {
    const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false })
    redis.on('error', () => {})
    return { store: createRedisSecretStore(redis, { commandTimeoutMs: 5000 }), close: async () => redis.disconnect() }
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({ connectionString: url, max: 4 })
    pool.on('error', () => {})
    return { store: createPostgresSecretStore(pool, { commandTimeoutMs: 5000 }), close: () => pool.end() }
  }
  throw new UsageError(
    `--secrets must be a redis:// or postgres:// URL, not '${url.replace(/\/\/[^@/]*@/, '//***@')}'.`,
  )
}

/**
 * `webhooks list|ensure|watch --all-tenants`: the same over every tenant. The tenants are
 * `--tenants A,B`, or those with a system user token, or (ensure, watch) those with a secret.
 */
export async function allTenants(action: string, values: FleetValues): Promise<number> {
  if (action !== 'list' && action !== 'ensure' && action !== 'watch') {
    throw new UsageError(`--all-tenants works with list, ensure and watch, not ${action}.`)
  }
  const tokens = systemUserTokensFrom(values as Parameters<typeof systemUserTokensFrom>[0])
  const api = fleetApiFrom(values as Parameters<typeof fleetApiFrom>[0], tokens)
  const json = values.json === true
  const named = typeof values.tenants === 'string' ? values.tenants.split(',').filter(Boolean) : undefined
  const tenants = named ?? [...tokens.keys()]
  const name = typeof values.name === 'string' ? values.name : undefined

  if (action === 'list') {
    let failed = 0
    for (const tenant of tenants) {
      try {
        const list = await createSuperOfficeWebhookClient({ api, tenant }).list(name ? { nameFilter: name } : {})
        if (json) console.log(JSON.stringify({ tenant, webhooks: list.map(redact) }))
        else console.log(`${clean(tenant)}\n${table(list)}\n`)
      } catch (error) {
        failed++
        if (json) console.log(JSON.stringify({ tenant, error: errorLine(error) }))
        else console.error(`${errRed('error')} ${clean(tenant)}: ${errorLine(error)}`)
      }
    }
    return failed > 0 ? EXIT.failed : EXIT.ok
  }

  const secretsUrl = typeof values.secrets === 'string' ? values.secrets : process.env.SUPEROFFICE_SECRETS_URL
  if (!secretsUrl) {
    throw new UsageError(
      `webhooks ${action} --all-tenants needs the secret store the receiver reads: --secrets redis://… or postgres://… (or SUPEROFFICE_SECRETS_URL).`,
    )
  }
  const secrets = secretStoreFrom(secretsUrl)
  try {
    if (action === 'ensure') return await ensureAll(api, secrets.store, tenants, values, json)
    return await watchAll(api, named ?? (() => secrets.store.tenants()), name, values, json)
  } finally {
    await secrets.close()
  }
}

async function ensureAll(
  api: ReturnType<typeof fleetApiFrom>,
  store: SuperOfficeSecretStore,
  tenants: string[],
  values: FleetValues,
  json: boolean,
): Promise<number> {
  const events = ((values.event as string[] | undefined) ?? []).flatMap((e) => e.split(',')).filter(Boolean)
  if (typeof values.name !== 'string' || typeof values.url !== 'string' || events.length === 0) {
    throw new UsageError(
      'webhooks ensure --all-tenants needs --name, --url and --event (each tenant gets its own secret).',
    )
  }
  const concurrency = positiveInt(values.concurrency, 'concurrency', 4)
  // A progress bar on a terminal; one line per tenant otherwise (logs, pipes).
  const bar = process.stderr.isTTY && !json
  const draw = (done: number, total: number, failed: number) => {
    const width = 30
    const filled = total === 0 ? width : Math.round((done / total) * width)
    process.stderr.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${failed ? ` ${failed} failed` : ''}`,
    )
  }
  let failed = 0
  const results = await ensureTenantWebhooks({
    api,
    secrets: store,
    tenants,
    name: values.name,
    targetUrl: values.url,
    events,
    rotate: values.rotate === true,
    concurrency,
    onResult: (result: TenantWebhookResult, { done, total }) => {
      if (result.action === 'failed') failed++
      if (json) console.log(JSON.stringify(result))
      else if (bar) draw(done, total, failed)
      else console.log(line(result))
    },
  })
  if (bar) {
    process.stderr.write('\n')
    for (const result of results) if (result.action === 'failed') console.log(line(result))
    const counts = new Map<string, number>()
    for (const r of results) counts.set(r.action, (counts.get(r.action) ?? 0) + 1)
    console.log([...counts].map(([action, n]) => `${n} ${action}`).join(', '))
  }
  return failed > 0 ? EXIT.failed : EXIT.ok
}

function line(result: TenantWebhookResult): string {
  if (result.action === 'failed') {
    return `${clean(result.tenant)}: ${red('failed')} ${clean(result.reason)}`
  }
  const action = result.action === 'unchanged' ? dim(result.action) : green(result.action)
  return `${clean(result.tenant)}: ${action} webhook ${result.webhookId}${result.newSecret ? yellow(' (new secret)') : ''}`
}

async function watchAll(
  api: ReturnType<typeof fleetApiFrom>,
  tenants: string[] | (() => Promise<string[]>),
  name: string | undefined,
  values: FleetValues,
  json: boolean,
): Promise<number> {
  const interval = typeof values.interval === 'string' ? values.interval : undefined
  const seconds = interval === undefined ? 300 : Number(interval.replace(/s$/, ''))
  if (!(seconds > 0)) throw new UsageError(`--interval must be a number of seconds, not '${interval}'.`)
  const shutdown = new AbortController()
  const report = (r: TenantWebhookRestart) => {
    if (json) {
      console.log(JSON.stringify({ ...r, webhook: redact(r.webhook) }))
      return
    }
    const window = `${r.down.from ? r.down.from.toISOString() : 'unknown'} .. ${r.down.to.toISOString()}`
    console.log(
      `${clean(r.tenant)}: ${clean(`${r.webhook.WebhookId} ${r.webhook.Name ?? ''}`)} ${red('TooManyErrors')}` +
        `${r.restarted ? green(' -> restarted') : ''}; not delivered ${window}`,
    )
    if (r.lastError) console.log(`  ${dim(`last error: ${clean(r.lastError)}`)}`)
    if (r.down.from) {
      console.log(
        `  ${dim(`recover it: superoffice-webhooks reconcile --tenant ${clean(r.tenant)} --since ${r.down.from.toISOString()} --until ${r.down.to.toISOString()}`)}`,
      )
    }
  }
  const onSignal = () => {
    if (shutdown.signal.aborted) process.exit(130)
    shutdown.abort()
    setTimeout(() => process.exit(130), 5_000).unref()
  }
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal)
  console.error(dim(`watching every tenant's webhook, a round every ${seconds} s; Ctrl+C to stop`))
  const watchdog = watchTenantWebhooks({
    api,
    tenants,
    ...(name ? { name } : {}),
    intervalMs: seconds * 1000,
    restart: values.restart !== false,
    signal: shutdown.signal,
    onRestart: report,
    onError: (error, { tenant }) => console.error(`${errRed('error')} ${clean(tenant)}: ${errorLine(error)}`),
  })
  await watchdog.done
  process.off('SIGINT', onSignal).off('SIGTERM', onSignal)
  return EXIT.ok
}
