// #region readme
// server/superoffice/tenant-status.ts
import { createSuperOfficeTenantStatus } from '@superoffice-webhooks/api'
import { api } from './api.js'

const tenantStatus = createSuperOfficeTenantStatus({
  environment: 'online',
  applicationId: process.env.SUPEROFFICE_CLIENT_ID,
  api,
})
tenantStatus.on('Delete', (n) => console.log('forget', n.ContextIdentifier))
export default tenantStatus
// #endregion readme
