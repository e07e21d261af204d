import { createSharedTenantThrottle, createSuperOfficeApi } from '@superoffice-webhooks/api'
import { Redis } from 'ioredis'

// #region readme
const api = createSuperOfficeApi({
  environment: 'online',
  applicationToken: process.env.SUPEROFFICE_APP_TOKEN as string,
  privateKey: process.env.SUPEROFFICE_PRIVATE_KEY as string,
  systemUserToken: (tenant) => lookUpSystemUserToken(tenant),
  // 4 calls at once and 10 a second per tenant, counted across every process and worker.
  throttle: createSharedTenantThrottle({
    redis: new Redis(process.env.REDIS_URL as string),
    concurrency: 4,
    perSecond: 10,
  }),
})
// #endregion readme

declare function lookUpSystemUserToken(tenant: string): string

export { api }
