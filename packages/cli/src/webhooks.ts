import {
  createSuperOfficeWebhookClient,
  ensureWebhook,
  SuperOfficeApiError,
  type SuperOfficeWebhook,
  type SuperOfficeWebhookClient,
  type SuperOfficeWebhookInput,
  type SuperOfficeWebhookState,
  watchWebhooks,
} from '@superoffice-webhooks/admin'
import { dim, EXIT, green, parse, red, secretFrom, UsageError, yellow } from './common.js'

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
} as const

/** `webhooks …`: SuperOffice's Webhook API from a shell. */
export async function webhooks(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, options)
  const [action, ...rest] = positionals
  if (!action || !ACTIONS.includes(action)) {
    throw new UsageError(`webhooks needs an action: ${ACTIONS.join(', ')}.`)
  }
  const api = values.api ?? process.env.SUPEROFFICE_API_URL
  const token = values.token ?? process.env.SUPEROFFICE_ACCESS_TOKEN
  if (!api) throw new UsageError('no API: pass --api https://<host>/<tenant> or set SUPEROFFICE_API_URL.')
  if (!token) throw new UsageError('no access token: pass --token or set SUPEROFFICE_ACCESS_TOKEN.')
  const client = createSuperOfficeWebhookClient({ baseUrl: api, accessToken: token, retries: 2 })
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
        const next: SuperOfficeWebhookInput = {
          ...(current as SuperOfficeWebhookInput),
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
        else console.log(`${result.Success ? green('200 OK') : red('failed')}: ${result.Message ?? ''}`)
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
        console.log(json ? JSON.stringify(message) : message || dim('(no error recorded)'))
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
        return watch(client, values.interval, values.restart === true, values.once === true, json)
    }
  } catch (error) {
    if (!(error instanceof SuperOfficeApiError)) throw error
    console.error(`${red('error')}: ${error.message}`)
    return error.status === 0 ? EXIT.unreachable : EXIT.failed
  }
}

async function watch(
  client: SuperOfficeWebhookClient,
  interval: string | undefined,
  restart: boolean,
  once: boolean,
  json: boolean,
) {
  const seconds = interval === undefined ? 60 : Number(interval.replace(/s$/, ''))
  if (!(seconds > 0)) throw new UsageError(`--interval must be a number of seconds, not '${interval}'.`)
  const watchdog = watchWebhooks(client, {
    intervalMs: seconds * 1000,
    restart,
    onStateChange: (c) => {
      if (json) {
        console.log(JSON.stringify({ ...c, webhook: redact(c.webhook) }))
        return
      }
      const state = c.state === 'Active' ? yellow(c.state) : red(c.state)
      const errors = c.consecutiveErrors === undefined ? '' : ` consecutive errors ${c.consecutiveErrors}`
      console.log(
        `${c.webhook.WebhookId} ${c.webhook.Name ?? ''}: ${state}${errors}${c.restarted ? green(' -> restarted') : ''}`,
      )
      if (c.lastError) console.log(`  ${dim(`last error: ${c.lastError}`)}`)
    },
    onError: (error) => console.error(`${red('error')}: ${(error as Error).message}`),
  })
  if (once) {
    await watchdog.check()
    watchdog.stop()
    return EXIT.ok
  }
  await watchdog.check()
  console.error(
    dim(
      `watching every ${seconds} s${restart ? ', restarting webhooks stopped by TooManyErrors' : ''}; Ctrl+C to stop`,
    ),
  )
  await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve))
  watchdog.stop()
  return EXIT.ok
}

/** A webhook without its secret: nothing this command prints holds one. */
function redact(webhook: SuperOfficeWebhook): SuperOfficeWebhook {
  return webhook.Secret ? { ...webhook, Secret: '***' } : webhook
}

function describe(w: SuperOfficeWebhook): string {
  return `${w.WebhookId} ${w.Name ?? ''} ${stateText(w.State)} ${w.TargetUrl ?? ''} [${(w.Events ?? []).join(', ')}]`
}

function stateText(state: SuperOfficeWebhookState): string {
  return state === 'Active' ? green(state) : state === 'TooManyErrors' ? red(state) : yellow(state)
}

function table(list: SuperOfficeWebhook[]): string {
  if (list.length === 0) return dim('no webhooks')
  const rows = list.map((w) => [
    String(w.WebhookId),
    w.Name ?? '',
    w.State,
    String(w.ConsecutiveErrors ?? '-'),
    (w.Events ?? []).join(','),
    w.TargetUrl ?? '',
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
