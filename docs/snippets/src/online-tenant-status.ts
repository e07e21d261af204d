import { createSuperOfficeApi, createSuperOfficeTenantStatus } from '@superoffice-webhooks/api'
import { superOfficeWebhooks } from '@superoffice-webhooks/koa'
import Koa from 'koa'

declare const log: { info(message: string): void }
declare function pauseSync(tenant: string): void
declare function resumeSync(tenant: string): void
declare function forgetTenant(tenant: string): void
const app = new Koa()
const api = createSuperOfficeApi({ environment: 'online', accessToken: (tenant) => tenant })

// #region readme
const tenantStatus = createSuperOfficeTenantStatus({
  environment: 'online',
  applicationId: process.env.SUPEROFFICE_CLIENT_ID,
  api,
})
tenantStatus.on('Move', (n) => log.info(`${n.ContextIdentifier} now on ${n.PublicEndpoint}`))
tenantStatus.on('Suspend', (n) => pauseSync(n.ContextIdentifier))
tenantStatus.on('Resume', (n) => resumeSync(n.ContextIdentifier))
tenantStatus.on('Delete', (n) => forgetTenant(n.ContextIdentifier))

app.use(superOfficeWebhooks(tenantStatus, { path: '/superoffice/tenant-status' })) // Koa
// h3/Nuxt: export default defineSuperOfficeWebhookHandler(tenantStatus)
// Nest: SuperOfficeWebhooksModule.forRoot({ ..., tenantStatus })
// Anything else: tenantStatus.handleRequest(request)
// #endregion readme
