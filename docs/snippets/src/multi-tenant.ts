import { createSuperOfficeWebhooks } from '@superoffice-webhooks/core'

// #region readme
const secretsByTenant = new Map(Object.entries(JSON.parse(process.env.SUPEROFFICE_TENANT_SECRETS ?? '{}')))

const webhooks = createSuperOfficeWebhooks({
  // The tenant comes from the body and is trusted only once its own secret matches.
  secret: ({ tenant }) => (tenant ? (secretsByTenant.get(tenant) as string | undefined) : undefined),
})

// #endregion readme
export { webhooks }
