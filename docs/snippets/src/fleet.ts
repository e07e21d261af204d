import { ensureTenantWebhooks, watchTenantWebhooks } from '@superoffice-webhooks/admin'
import { createSuperOfficeApi, reconcile } from '@superoffice-webhooks/api'
import { createSuperOfficeWebhooks, secretsFromStore } from '@superoffice-webhooks/core'
import { createRedisSecretStore } from '@superoffice-webhooks/redis'
import { Redis } from 'ioredis'

const systemUserTokens = new Map<string, string>()
const api = createSuperOfficeApi({
  environment: 'online',
  applicationToken: process.env.SUPEROFFICE_APP_TOKEN as string,
  privateKey: process.env.SUPEROFFICE_PRIVATE_KEY as string,
  systemUserToken: (tenant) => systemUserTokens.get(tenant) as string,
})

// #region readme
const redis = new Redis(process.env.REDIS_URL as string)
const secrets = createRedisSecretStore(redis)
// The receiver verifies each tenant with its own secret, from the same store.
const webhooks = createSuperOfficeWebhooks({ secret: secretsFromStore(secrets) })

// On start, and when a tenant installs the app: its webhook, with a secret of its own.
const results = await ensureTenantWebhooks({
  api,
  secrets,
  tenants: [...systemUserTokens.keys()],
  name: 'crm-sync',
  targetUrl: 'https://crm-sync.example.com/webhooks/superoffice',
  events: ['sale.sold', 'contact.changed'],
})
for (const r of results) if (r.action === 'failed') console.warn(`${r.tenant}: ${r.reason}`)

// One watchdog for every tenant; a restarted webhook's window is recovered into the pipeline.
const watchdog = watchTenantWebhooks({
  api,
  name: 'crm-sync',
  tenants: () => secrets.tenants(),
  reconcile: { webhooks, entities: ['sale', 'contact'] },
  onRestart: (r) => console.warn(`${r.tenant}: restarted; ${JSON.stringify(r.reconciled)}`),
})
process.once('SIGTERM', () => watchdog.stop())

// Or recover a window by hand.
await reconcile({ api, webhooks, tenant: 'Cust12345', since: '2026-12-01T08:00:00Z', entities: ['sale'] })
// #endregion readme
