import { readFileSync } from 'node:fs'
import { createSuperOfficeApi } from '@superoffice-webhooks/api'
import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'

const api = createSuperOfficeApi({
  environment: 'online', // 'sod' while developing, 'stage', or { authority } for a stand-in
  applicationToken: process.env.SUPEROFFICE_APP_TOKEN!, // the app's client secret
  privateKey: readFileSync('superoffice-private-key.xml', 'utf8'), // RSA XML or PEM
  // The system_token claim of the tenant admin's consent sign-in; one string, or per tenant:
  systemUserToken: (tenant) => lookUpSystemUserToken(tenant),
})

const webhooks = createSuperOfficeWebhooks({ secret: process.env.SUPEROFFICE_WEBHOOK_SECRET!, api })

webhooks.on('sale.sold', async (_event, context) => {
  const sale = await context.fetchEntity() // SaleEntity | null
  if (!sale) return // deleted since: nothing to do, and no retry
  console.log(sale.Heading, sale.Amount, sale.Contact?.Name)
})

declare function lookUpSystemUserToken(tenant: string): Promise<string>
