// #region readme
import { createSuperOfficeWebhookClient, ensureWebhook, watchWebhooks } from '@superoffice-webhooks/admin'
import { createSuperOfficeApi, superOfficeApiOptionsFromEnv } from '@superoffice-webhooks/api'

// SuperOffice Online: the tenant's current host comes from SuperOffice's state API, and the calls
// carry a system-user ticket. From SUPEROFFICE_APP_TOKEN, SUPEROFFICE_PRIVATE_KEY_FILE,
// SUPEROFFICE_SYSTEM_USER_TOKEN and SUPEROFFICE_ENVIRONMENT (see docs/online.md); or pass
// { environment: 'online', applicationToken, privateKey, systemUserToken } yourself.
const api = createSuperOfficeApi(superOfficeApiOptionsFromEnv()!)
const client = createSuperOfficeWebhookClient({ api, tenant: process.env.SUPEROFFICE_TENANT! }) // Cust12345
// On-premise instead: createSuperOfficeWebhookClient({ baseUrl: 'https://crm.example.com/SuperOffice', accessToken })

// At deployment or start-up: create the webhook, or update it when it differs. SuperOffice posts a
// signed `test` event to the target first, so the receiver must already be up.
const { action, webhook } = await ensureWebhook(client, {
  name: 'crm-sync',
  targetUrl: process.env.PUBLIC_WEBHOOK_URL!, // https://crm-sync.example.com/webhooks/superoffice
  events: ['sale.sold', 'contact.changed'],
  secret: process.env.SUPEROFFICE_WEBHOOK_SECRET!,
  description: 'Won sales and changed contacts to the ERP',
  // Who SuperOffice tells when deliveries fail, before and besides this watchdog.
  notify: { via: 'Email', when: 'FirstFailure', emails: ['ops@example.com'] },
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
