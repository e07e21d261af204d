export { SuperOfficeApiError } from '@superoffice-webhooks/api'
export {
  createSuperOfficeWebhookClient,
  type SuperOfficeWebhook,
  type SuperOfficeWebhookClient,
  type SuperOfficeWebhookClientDirectOptions,
  type SuperOfficeWebhookClientOnlineOptions,
  type SuperOfficeWebhookClientOptions,
  type SuperOfficeWebhookDraft,
  type SuperOfficeWebhookFilter,
  type SuperOfficeWebhookState,
  type SuperOfficeWebhookTestResult,
  superOfficeWebhookSchema,
  superOfficeWebhookTestResultSchema,
} from './client.js'
export {
  type EnsureTenantWebhooksOptions,
  ensureTenantWebhooks,
  type RemoveTenantWebhooksResult,
  removeTenantWebhooks,
  type SuperOfficeTenantList,
  type TenantWebhookRestart,
  type TenantWebhookResult,
  type TenantWebhookWatchdog,
  type WatchTenantWebhooksOptions,
  watchTenantWebhooks,
} from './fleet.js'
export {
  type EnsureWebhookOptions,
  type EnsureWebhookResult,
  ensureWebhook,
  type WatchWebhooksOptions,
  type WebhookStateChange,
  type WebhookWatchdog,
  watchWebhooks,
} from './manage.js'
