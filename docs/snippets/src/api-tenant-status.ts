import { createSuperOfficeApi, createSuperOfficeTenantStatus } from '@superoffice-webhooks/api'
import { superOfficeWebhooks } from '@superoffice-webhooks/koa'
import Koa from 'koa'

const api = createSuperOfficeApi({
  environment: 'online',
  applicationToken: process.env.SUPEROFFICE_APP_TOKEN!,
  privateKey: process.env.SUPEROFFICE_PRIVATE_KEY!,
  systemUserToken: process.env.SUPEROFFICE_SYSTEM_USER_TOKEN!,
})

// A Move makes `api` look the tenant's endpoint up again before the handlers run.
const tenantStatus = createSuperOfficeTenantStatus({
  environment: 'online',
  applicationId: process.env.SUPEROFFICE_CLIENT_ID,
  api,
})
tenantStatus.on('Move', (n) => console.log(n.ContextIdentifier, 'moved to', n.PublicEndpoint))
tenantStatus.on('Suspend', (n) => console.log('pause syncing', n.ContextIdentifier))
tenantStatus.on('Delete', (n) => console.log('forget', n.ContextIdentifier))
tenantStatus.on('*', (n) => console.log(n.ChangeName, n.ContextIdentifier, n.VersionName))

new Koa().use(superOfficeWebhooks(tenantStatus, { path: '/superoffice/tenant-status' })).listen(3000)
