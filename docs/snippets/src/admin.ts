// #region readme
import { createSuperOfficeWebhookClient, ensureWebhook, watchWebhooks } from '@superoffice-webhooks/admin'

const client = createSuperOfficeWebhookClient({
  baseUrl: process.env.SUPEROFFICE_API_URL!, // the tenant's API base: https://<host>/<tenant>
  accessToken: process.env.SUPEROFFICE_ACCESS_TOKEN!, // or getAccessToken: () => tokens.current()
})

// At deployment or start-up: create the webhook, or update it when it differs. SuperOffice posts a
// signed `test` event to the target first, so the receiver must already be up.
const { action, webhook } = await ensureWebhook(client, {
  name: 'crm-sync',
  targetUrl: process.env.PUBLIC_WEBHOOK_URL!, // https://crm-sync.example.com/webhooks/superoffice
  events: ['sale.sold', 'contact.changed'],
  secret: process.env.SUPEROFFICE_WEBHOOK_SECRET!,
})
console.log(action, webhook.WebhookId) // 'created' | 'updated' | 'unchanged'

// A watchdog: checks now and every minute until stopped (it keeps the process up), reports
// TooManyErrors (and rising ConsecutiveErrors) with LastError, and restarts the webhook.
const watchdog = watchWebhooks(client, {
  intervalMs: 60_000,
  restart: true,
  onStateChange: ({ webhook, state, lastError, restarted }) =>
    console.warn(`${webhook.Name}: ${state}${restarted ? ' -> restarted' : ''}: ${lastError}`),
  onError: (error, { nextCheckInMs }) => console.warn(`check failed, next in ${nextCheckInMs} ms:`, error),
})
process.once('SIGTERM', () => watchdog.stop())
// #endregion readme
