import { createSuperOfficeTenantStatus } from '@superoffice-webhooks/api'
import { api, apiOptions } from './api'

// SuperOffice's tenant status webhook, served by the module at /superoffice/tenant-status. Each
// notification's token is checked against SuperOffice's keys; a Move refreshes the API client.
const tenantStatus = createSuperOfficeTenantStatus({
  environment: apiOptions?.environment ?? 'online',
  applicationId: process.env.SUPEROFFICE_CLIENT_ID,
  api,
})
tenantStatus.on('*', (n) => console.log(`superoffice tenant-status ${n.ChangeName} ${n.ContextIdentifier}`))

export default tenantStatus
