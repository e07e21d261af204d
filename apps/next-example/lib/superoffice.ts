// The app's one receiver, made on first use: `next build` loads route modules to analyse them, and
// the secret is only there when the server runs. Kept on globalThis so `next dev` reloads do not
// make a second one (and a second dedupe store).
import {
  createSuperOfficeApi,
  createSuperOfficeTenantStatus,
  type SuperOfficeTenantStatus,
  superOfficeApiOptionsFromEnv,
} from '@superoffice-webhooks/api'
import { createSuperOfficeWebhooks, type SuperOfficeWebhooks } from '@superoffice-webhooks/core'

interface App {
  webhooks: SuperOfficeWebhooks
  tenantStatus: SuperOfficeTenantStatus
  stats: { sold: number; saleEvents: number; events: number }
}

const holder = globalThis as { superOfficeApp?: App }

function make(): App {
  const stats = { sold: 0, saleEvents: 0, events: 0 }
  // SuperOffice Online (SUPEROFFICE_APP_TOKEN, SUPEROFFICE_PRIVATE_KEY, SUPEROFFICE_SYSTEM_USER_TOKEN,
  // SUPEROFFICE_ENVIRONMENT): handlers fetch the entity behind their event.
  const apiOptions = superOfficeApiOptionsFromEnv()
  const api = apiOptions ? createSuperOfficeApi(apiOptions) : undefined
  const webhooks = createSuperOfficeWebhooks({
    // Read per delivery: a deployment without it answers 500 secret_unavailable (SuperOffice
    // retries), and the log says which variable to set.
    secret: () => {
      const secret = process.env.SUPEROFFICE_WEBHOOK_SECRET
      if (!secret)
        throw new Error('next-example: set SUPEROFFICE_WEBHOOK_SECRET to the secret of your SuperOffice webhook')
      return secret
    },
    ...(api ? { api } : {}),
  })
  webhooks.on('sale.sold', async (event, context) => {
    stats.sold++
    if (api) {
      const sale = await context.fetchEntity()
      console.log(`superoffice fetched sale ${event.PrimaryKey}: ${sale ? sale.Heading : '(deleted)'}`)
    }
  })
  webhooks.on('sale.*', () => void stats.saleEvents++)
  webhooks.onAny((event) => {
    stats.events++
    console.log(
      `superoffice event=${event.Event} key=${event.PrimaryKey} tenant=${event.ContextIdentifier} id=${event.EventId}`,
    )
  })
  const tenantStatus = createSuperOfficeTenantStatus({
    environment: apiOptions?.environment ?? 'online',
    applicationId: process.env.SUPEROFFICE_CLIENT_ID,
    api,
  })
  tenantStatus.on('*', (n) => console.log(`superoffice tenant-status ${n.ChangeName} ${n.ContextIdentifier}`))
  return { webhooks, tenantStatus, stats }
}

/** The receiver, the tenant status webhook and the example's counters. */
export function superOffice(): App {
  holder.superOfficeApp ??= make()
  return holder.superOfficeApp
}
