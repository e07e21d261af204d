// #region readme
import { createSuperOfficeWebhookClient, ensureWebhook, watchWebhooks } from '@superoffice-webhooks/admin'

const client = createSuperOfficeWebhookClient({
  baseUrl: process.env.SUPEROFFICE_API_URL!, // https://<host>/<tenant>, e.g. https://online.superoffice.com/Cust12345
  accessToken: process.env.SUPEROFFICE_ACCESS_TOKEN!, // or getAccessToken: () => tokens.current()
})

// At deployment or start-up: create the webhook, or update it when it differs. SuperOffice posts a
// signed `test` event to the target first, so the receiver must already be up.
const { action, webhook } = await ensureWebhook(client, {
  name: 'crm-sync',
  targetUrl: 'https://crm-sync.example.com/webhooks/superoffice',
  events: ['sale.sold', 'contact.changed'],
  secret: process.env.SUPEROFFICE_WEBHOOK_SECRET!,
})
console.log(action, webhook.WebhookId) // 'created' | 'updated' | 'unchanged'

// A watchdog: reports TooManyErrors (and rising ConsecutiveErrors) with LastError, and restarts.
const watchdog = watchWebhooks(client, {
  intervalMs: 60_000,
  restart: true,
  onStateChange: ({ webhook, state, lastError, restarted }) =>
    console.warn(`${webhook.Name}: ${state}${restarted ? ' -> restarted' : ''}: ${lastError}`),
})
process.once('SIGTERM', () => watchdog.stop())
// #endregion readme
