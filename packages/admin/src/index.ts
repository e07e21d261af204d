export {
  createSuperOfficeWebhookClient,
  SuperOfficeApiError,
  type SuperOfficeWebhook,
  type SuperOfficeWebhookClient,
  type SuperOfficeWebhookClientOptions,
  type SuperOfficeWebhookFilter,
  type SuperOfficeWebhookInput,
  type SuperOfficeWebhookState,
  type SuperOfficeWebhookTestResult,
  superOfficeWebhookSchema,
  superOfficeWebhookTestResultSchema,
} from './client.js'
export {
  type EnsureWebhookOptions,
  type EnsureWebhookResult,
  ensureWebhook,
  type WatchWebhooksOptions,
  type WebhookStateChange,
  type WebhookWatchdog,
  watchWebhooks,
} from './manage.js'
