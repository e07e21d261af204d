import { createSuperOfficeTenantStatus } from '@superoffice-webhooks/api'
import { defineSuperOfficeWebhookHandler } from '@superoffice-webhooks/h3'
import { api, apiOptions } from '../../utils/superoffice-api'

// SuperOffice's tenant status webhook: each notification's token is checked against SuperOffice's
// keys; a Move makes the API client look the tenant's host up again.
const tenantStatus = createSuperOfficeTenantStatus({
  environment: apiOptions?.environment ?? 'online',
  applicationId: process.env.SUPEROFFICE_CLIENT_ID,
  api,
})
tenantStatus.on('*', (n) => console.log(`superoffice tenant-status ${n.ChangeName} ${n.ContextIdentifier}`))

export default defineSuperOfficeWebhookHandler(tenantStatus)
