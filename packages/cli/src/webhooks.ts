import { readFileSync } from 'node:fs'
import {
  createSuperOfficeWebhookClient,
  ensureWebhook,
  SuperOfficeApiError,
  type SuperOfficeWebhook,
  type SuperOfficeWebhookClient,
  type SuperOfficeWebhookDraft,
  type SuperOfficeWebhookState,
  type WebhookStateChange,
  watchWebhooks,
} from '@superoffice-webhooks/admin'
import {
  createSuperOfficeApi,
  type SuperOfficeApi,
  SuperOfficeTenantStateError,
  superOfficeApiOptionsFromEnv,
} from '@superoffice-webhooks/api'
import { clean, dim, EXIT, errRed, green, parse, red, secretFrom, UsageError, yellow } from './common.js'
import { allTenants } from './fleet.js'

const ACTIONS = [
  'list',
  'get',
  'create',
  'update',
  'delete',
  'test',
  'signal',
  'last-error',
  'restart',
  'ensure',
  'watch',
]
const STATES = ['Active', 'Stopped', 'TooManyErrors']

const options = {
  api: { type: 'string' },
  token: { type: 'string' },
  tenant: { type: 'string' },
  environment: { type: 'string' },
  'app-token': { type: 'string' },
  'private-key': { type: 'string' },
  'system-user-token': { type: 'string' },
  name: { type: 'string' },
  url: { type: 'string' },
  event: { type: 'string', multiple: true },
  secret: { type: 'string' },
  header: { type: 'string', multiple: true },
  state: { type: 'string' },
  status: { type: 'string' },
  interval: { type: 'string' },
  restart: { type: 'boolean' },
  once: { type: 'boolean' },
  'all-tenants': { type: 'boolean' },
  tenants: { type: 'string' },
  'system-user-tokens': { type: 'string' },
  secrets: { type: 'string' },
  rotate: { type: 'boolean' },
  concurrency: { type: 'string' },
} as const

type CredentialFlags = {
  api?: string | undefined
  token?: string | undefined
  tenant?: string | undefined
  environment?: string | undefined
  'app-token'?: string | undefined
  'private-key'?: string | undefined
  'system-user-token'?: string | undefined
  'system-user-tokens'?: string | undefined
}

/**
 * The API client options from the flags over the environment, read by the library's own
 * `superOfficeApiOptionsFromEnv` (so a key with escaped line breaks, a key file, an access token
 * or a system user work here as they do in an app). `undefined` when no credential is given.
 */
function apiOptionsFrom(values: CredentialFlags, overrides: Record<string, string | undefined> = {}) {
  const env = process.env
  const merged: Record<string, string | undefined> = {
    ...env,
    SUPEROFFICE_ENVIRONMENT: values.environment ?? env.SUPEROFFICE_ENVIRONMENT,
    SUPEROFFICE_APP_TOKEN: values['app-token'] ?? env.SUPEROFFICE_APP_TOKEN,
    SUPEROFFICE_PRIVATE_KEY_FILE: values['private-key'] ?? env.SUPEROFFICE_PRIVATE_KEY_FILE,
    SUPEROFFICE_SYSTEM_USER_TOKEN: values['system-user-token'] ?? env.SUPEROFFICE_SYSTEM_USER_TOKEN,
    SUPEROFFICE_ACCESS_TOKEN: values.token ?? env.SUPEROFFICE_ACCESS_TOKEN,
    ...overrides,
  }
  try {
    return superOfficeApiOptionsFromEnv(merged)
  } catch (error) {
    // The library names the variables; each has its flag: --app-token, --private-key FILE,
    // --system-user-token, --environment.
    if (error instanceof TypeError) {
      const named = error.message
        .replace(
          'SUPEROFFICE_PRIVATE_KEY or SUPEROFFICE_PRIVATE_KEY_FILE',
          '--private-key FILE (SUPEROFFICE_PRIVATE_KEY_FILE or SUPEROFFICE_PRIVATE_KEY)',
        )
        .replace(/\bSUPEROFFICE_APP_TOKEN\b/, '--app-token (SUPEROFFICE_APP_TOKEN)')
        .replace(/\bSUPEROFFICE_SYSTEM_USER_TOKEN\b/, '--system-user-token (SUPEROFFICE_SYSTEM_USER_TOKEN)')
        .replace(/^SUPEROFFICE_ENVIRONMENT\b/, '--environment (SUPEROFFICE_ENVIRONMENT)')
      throw new UsageError(named)
    }
    throw error
  }
}

/**
 * Every tenant's system user token, for commands over all tenants: a JSON object from tenant to
 * token, in the file `--system-user-tokens` names or in SUPEROFFICE_SYSTEM_USER_TOKENS.
 */
export function systemUserTokensFrom(values: CredentialFlags): Map<string, string> {
  const file = values['system-user-tokens']
  let text = process.env.SUPEROFFICE_SYSTEM_USER_TOKENS
  if (file) {
    try {
      text = readFileSync(file, 'utf8')
    } catch (error) {
      throw new UsageError(
        `--system-user-tokens: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
      )
    }
  }
  if (!text) {
    throw new UsageError(
      'all tenants need each tenant\'s system user token: --system-user-tokens FILE (or SUPEROFFICE_SYSTEM_USER_TOKENS), a JSON object {"Cust12345": "token", …}.',
    )
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new UsageError('the system user tokens are not JSON: expected {"Cust12345": "token", …}.')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError('the system user tokens must be a JSON object {"Cust12345": "token", …}.')
  }
  const tokens = new Map<string, string>()
  for (const [tenant, token] of Object.entries(parsed)) {
    if (typeof token !== 'string' || !token) throw new UsageError(`the system user token of ${tenant} is not a string.`)
    tokens.set(tenant, token)
  }
  return tokens
}

/** An API client for every tenant of `tokens` (each with its own system user). */
export function fleetApiFrom(values: CredentialFlags, tokens: Map<string, string>): SuperOfficeApi {
  // One tenant's token satisfies the library's check; the client then asks per tenant.
  const options = apiOptionsFrom(values, {
    SUPEROFFICE_SYSTEM_USER_TOKEN: 'per-tenant',
    SUPEROFFICE_ACCESS_TOKEN: undefined,
  })
  if (!options) throw new UsageError("all tenants need the app's --app-token and --private-key FILE.")
  try {
    return createSuperOfficeApi({
      ...options,
      systemUserToken: (tenant) => {
        const token = tokens.get(tenant)
        if (!token) throw new TypeError(`no system user token for tenant ${tenant}`)
        return token
      },
      retries: 2,
    })
  } catch (error) {
    if (error instanceof TypeError) throw new UsageError(error.message)
    throw error
  }
}

/**
 * The client the flags and environment ask for: SuperOffice Online (`--tenant`, the app's
 * credentials, the tenant's host from the state API), or a fixed address with a token (`--api`,
 * on-premise).
 */
function clientFrom(values: CredentialFlags, signal: AbortSignal): SuperOfficeWebhookClient {
  const env = process.env
  const baseUrl = values.api ?? env.SUPEROFFICE_API_URL
  const token = values.token ?? env.SUPEROFFICE_ACCESS_TOKEN
  const tenant = values.tenant ?? env.SUPEROFFICE_TENANT
  if (baseUrl && !values.tenant) {
    if (!token) throw new UsageError('no access token: pass --token or set SUPEROFFICE_ACCESS_TOKEN.')
    return createSuperOfficeWebhookClient({ baseUrl, accessToken: token, retries: 2, signal })
  }
  if (!tenant) {
    throw new UsageError(
      'which tenant? SuperOffice Online: --tenant Cust12345 (or SUPEROFFICE_TENANT) with the app credentials; on-premise: --api https://<host>/<path> with --token; every tenant: --all-tenants.',
    )
  }
  const options = apiOptionsFrom(values)
  if (!options) {
    throw new UsageError(
      'a system user needs --app-token (SUPEROFFICE_APP_TOKEN), --private-key FILE (SUPEROFFICE_PRIVATE_KEY_FILE or SUPEROFFICE_PRIVATE_KEY), --system-user-token (SUPEROFFICE_SYSTEM_USER_TOKEN); or pass --token.',
    )
  }
  try {
    return createSuperOfficeWebhookClient({ api: createSuperOfficeApi({ ...options, retries: 2 }), tenant, signal })
  } catch (error) {
    if (error instanceof TypeError) throw new UsageError(error.message)
    throw error
  }
}

/** `webhooks …`: SuperOffice's Webhook API from a shell. */
export async function webhooks(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, options)
  const [action, ...rest] = positionals
  if (!action || !ACTIONS.includes(action)) {
    throw new UsageError(`webhooks needs an action: ${ACTIONS.join(', ')}.`)
  }
  if (values['all-tenants']) return allTenants(action, values)
  // Ctrl+C and SIGTERM give up the call in flight and any wait before a retry (the watch service
  // listens for them itself; other actions end the default way).
  const shutdown = new AbortController()
  const client = clientFrom(values, shutdown.signal)
  const json = values.json === true
  const events = (values.event ?? []).flatMap((e) => e.split(',')).filter(Boolean)
  const headers = Object.fromEntries(
    (values.header ?? []).map((h) => {
      const at = h.indexOf('=')
      if (at < 1) throw new UsageError(`--header must be name=value, not '${h}'.`)
      return [h.slice(0, at), h.slice(at + 1)]
    }),
  )
  const id = () => {
    const n = Number(rest[0])
    if (!Number.isInteger(n) || n < 1)
      throw new UsageError(`webhooks ${action} needs a webhook id, not '${rest[0] ?? ''}'.`)
    return n
  }
  const print = (webhook: SuperOfficeWebhook) => {
    if (json) console.log(JSON.stringify(redact(webhook)))
    else console.log(describe(webhook))
  }

  try {
    switch (action) {
      case 'list': {
        const status = values.status
        if (status && !STATES.includes(status)) throw new UsageError(`--status must be one of ${STATES.join(', ')}.`)
        const list = await client.list({
          ...(values.name ? { nameFilter: values.name } : {}),
          ...(events[0] ? { eventFilter: events[0] } : {}),
          ...(status ? { statusFilter: status as SuperOfficeWebhookState } : {}),
        })
        if (json) console.log(JSON.stringify(list.map(redact)))
        else console.log(table(list))
        return EXIT.ok
      }
      case 'get':
        print(await client.get(id()))
        return EXIT.ok
      case 'create': {
        const secret = secretFrom(values.secret, false)
        if (!values.name || !values.url || events.length === 0) {
          throw new UsageError('webhooks create needs --name, --url and at least one --event.')
        }
        const created = await client.create({
          Name: values.name,
          TargetUrl: values.url,
          Events: events,
          ...(secret ? { Secret: secret } : {}),
          ...(Object.keys(headers).length ? { Headers: headers } : {}),
        })
        if (!json) console.error(green(`created webhook ${created.WebhookId} (SuperOffice's test call got 200)`))
        print(created)
        return EXIT.ok
      }
      case 'update': {
        const current = await client.get(id())
        const state = values.state
        if (state && !STATES.includes(state)) throw new UsageError(`--state must be one of ${STATES.join(', ')}.`)
        const next: SuperOfficeWebhookDraft = {
          ...(current as SuperOfficeWebhookDraft),
          ...(values.name ? { Name: values.name } : {}),
          ...(values.url ? { TargetUrl: values.url } : {}),
          ...(events.length ? { Events: events } : {}),
          ...(values.secret ? { Secret: values.secret } : {}),
          ...(state ? { State: state as SuperOfficeWebhookState } : {}),
          ...(Object.keys(headers).length ? { Headers: headers } : {}),
        }
        print(await client.update(current.WebhookId, next))
        return EXIT.ok
      }
      case 'delete':
        await client.delete(id())
        if (!json) console.log(green(`deleted webhook ${rest[0]}`))
        return EXIT.ok
      case 'test': {
        const result = await client.test(await client.get(id()))
        if (json) console.log(JSON.stringify(result))
        else console.log(`${result.Success ? green('200 OK') : red('failed')}: ${clean(result.Message ?? '')}`)
        return result.Success ? EXIT.ok : EXIT.failed
      }
      case 'signal': {
        const [event, key] = rest
        const primaryKey = Number(key)
        if (!event || !Number.isInteger(primaryKey)) throw new UsageError('webhooks signal needs <event> <primaryKey>.')
        await client.signal(event, primaryKey)
        if (!json) console.log(green(`signalled ${event} for ${primaryKey}`))
        return EXIT.ok
      }
      case 'last-error': {
        const message = await client.lastError(id())
        console.log(json ? JSON.stringify(message) : clean(message) || dim('(no error recorded)'))
        return EXIT.ok
      }
      case 'restart':
        print(await client.restart(id()))
        return EXIT.ok
      case 'ensure': {
        const secret = secretFrom(values.secret, true) as string
        if (!values.name || !values.url || events.length === 0) {
          throw new UsageError('webhooks ensure needs --name, --url, --event and a secret.')
        }
        const result = await ensureWebhook(client, {
          name: values.name,
          targetUrl: values.url,
          events,
          secret,
          ...(Object.keys(headers).length ? { headers } : {}),
        })
        if (json) console.log(JSON.stringify({ action: result.action, webhook: redact(result.webhook) }))
        else console.log(`${result.action}: ${describe(result.webhook)}`)
        return EXIT.ok
      }
      default:
        // Awaited here, so its refusals meet the catch below and its exit codes.
        return await watch(client, shutdown, values.interval, values.restart === true, values.once === true, json)
    }
  } catch (error) {
    if (error instanceof SuperOfficeTenantStateError) {
      console.error(`${errRed('error')}: ${errorLine(error)}`)
      return EXIT.failed
    }
    if (!(error instanceof SuperOfficeApiError)) throw error
    console.error(`${errRed('error')}: ${errorLine(error)}`)
    return error.status === 0 ? EXIT.unreachable : EXIT.failed
  }
}

/** One line for an API error: SuperOffice's text with control characters escaped, never a stack. */
export function errorLine(error: unknown): string {
  return clean(error instanceof Error ? error.message : String(error))
}

async function watch(
  client: SuperOfficeWebhookClient,
  shutdown: AbortController,
  interval: string | undefined,
  restart: boolean,
  once: boolean,
  json: boolean,
) {
  const seconds = interval === undefined ? 60 : Number(interval.replace(/s$/, ''))
  if (!(seconds > 0)) throw new UsageError(`--interval must be a number of seconds, not '${interval}'.`)
  const report = (c: WebhookStateChange) => {
    if (json) {
      console.log(JSON.stringify({ ...c, webhook: redact(c.webhook) }))
      return
    }
    const state = c.state === 'Active' ? yellow(c.state) : red(c.state)
    const errors = c.consecutiveErrors === undefined ? '' : ` consecutive errors ${c.consecutiveErrors}`
    console.log(
      clean(`${c.webhook.WebhookId} ${c.webhook.Name ?? ''}: `) +
        `${state}${errors}${c.restarted ? green(' -> restarted') : ''}`,
    )
    if (c.lastError) console.log(`  ${dim(`last error: ${clean(c.lastError)}`)}`)
  }
  if (once) {
    // One check and its exit code: 0 done, 1 SuperOffice refused, 3 not reachable.
    const watchdog = watchWebhooks(client, { intervalMs: 3_600_000, restart, onStateChange: report })
    watchdog.stop()
    await watchdog.check()
    return EXIT.ok
  }
  // A service: checks at once and every interval until SIGINT or SIGTERM; a failed check is one
  // line on stderr and is retried with backoff. It never exits on its own.
  // The first signal stops the watchdog and cuts its calls short; it ends within a second or two.
  // A second signal, or a stop that takes longer than 5 s, ends the process at once.
  const onSignal = () => {
    if (shutdown.signal.aborted) process.exit(130)
    shutdown.abort()
    setTimeout(() => process.exit(130), 5_000).unref()
  }
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal)
  console.error(
    dim(
      `watching every ${seconds} s${restart ? ', restarting webhooks stopped by TooManyErrors' : ''}; Ctrl+C to stop`,
    ),
  )
  const watchdog = watchWebhooks(client, {
    intervalMs: seconds * 1000,
    restart,
    signal: shutdown.signal,
    onStateChange: report,
    onError: (error, { failures, nextCheckInMs }) =>
      console.error(
        `${errRed('error')}: ${errorLine(error)} (${failures} failed check${failures === 1 ? '' : 's'} in a row; next in ${Math.round(nextCheckInMs / 1000)} s)`,
      ),
  })
  await watchdog.done
  process.off('SIGINT', onSignal).off('SIGTERM', onSignal)
  return EXIT.ok
}

/**
 * A webhook without its secret or its custom header values (often an API key of the receiver):
 * nothing this command prints holds one.
 */
export function redact(webhook: SuperOfficeWebhook): SuperOfficeWebhook {
  const headers = webhook.Headers
    ? Object.fromEntries(Object.keys(webhook.Headers).map((name) => [name, '***']))
    : webhook.Headers
  return { ...webhook, ...(webhook.Secret ? { Secret: '***' } : {}), ...(headers ? { Headers: headers } : {}) }
}

export function describe(w: SuperOfficeWebhook): string {
  return `${w.WebhookId} ${clean(w.Name ?? '')} ${stateText(w.State)} ${clean(w.TargetUrl ?? '')} [${clean((w.Events ?? []).join(', '))}]`
}

function stateText(state: SuperOfficeWebhookState): string {
  return state === 'Active' ? green(state) : state === 'TooManyErrors' ? red(state) : yellow(state)
}

export function table(list: SuperOfficeWebhook[]): string {
  if (list.length === 0) return dim('no webhooks')
  const rows = list.map((w) => [
    String(w.WebhookId),
    clean(w.Name ?? ''),
    w.State,
    String(w.ConsecutiveErrors ?? '-'),
    clean((w.Events ?? []).join(',')),
    clean(w.TargetUrl ?? ''),
  ])
  const head = ['ID', 'NAME', 'STATE', 'ERRORS', 'EVENTS', 'TARGET']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)))
  const line = (cells: string[], paint = (s: string, _i: number) => s) =>
    cells.map((c, i) => paint(i < cells.length - 1 ? c.padEnd(widths[i] as number) : c, i)).join('  ')
  return [
    dim(line(head)),
    ...rows.map((r) =>
      line(r, (cell, i) => (i === 2 ? cell.replace(r[2] as string, stateText(r[2] as SuperOfficeWebhookState)) : cell)),
    ),
  ].join('\n')
}
