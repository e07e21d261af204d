import type { SuperOfficeAnyEvent } from '@superoffice-webhooks/core'
import { defineSuperOfficeWebhookHandler } from '@superoffice-webhooks/h3'
import { useRuntimeConfig } from 'nitro/runtime'
import { stats } from '../../utils/stats'
import { api } from '../../utils/superoffice-api'

export default defineSuperOfficeWebhookHandler({
  // Read per request, so the secret comes from the environment the built server runs in.
  secret: () => {
    const secret = useRuntimeConfig().superofficeWebhookSecret || process.env.SUPEROFFICE_WEBHOOK_SECRET
    if (!secret) {
      throw new Error('nitro-example: set SUPEROFFICE_WEBHOOK_SECRET (or NITRO_SUPEROFFICE_WEBHOOK_SECRET).')
    }
    return secret
  },
  // Handlers get context.fetchEntity(): the entity behind their event, from the tenant's API.
  ...(api ? { api } : {}),
  on: {
    // Typed by name: event is SuperOfficeEvent<'sale.sold'>.
    'sale.sold': async (event, context) => {
      stats.sold++
      const currency = String(event.FieldValues?.currency_id ?? 'unknown')
      stats.soldByCurrency[currency] = (stats.soldByCurrency[currency] ?? 0) + 1
      if (api) {
        const sale = await context.fetchEntity() // SaleEntity | null (deleted since)
        console.log(`superoffice fetched sale ${event.PrimaryKey}: ${sale ? sale.Heading : '(deleted)'}`)
      }
    },
    // A local wildcard: every sale event.
    'sale.*': () => {
      stats.saleEvents++
    },
  },
  // The catch-all: every event but `test`, one line each.
  onAny: (event: SuperOfficeAnyEvent) => {
    stats.events++
    console.log(
      `superoffice event=${event.Event} key=${event.PrimaryKey} tenant=${event.ContextIdentifier} id=${event.EventId}`,
    )
  },
})
