export {
  DEFAULT_TENANT_STATUS_PATH,
  DEFAULT_WEBHOOK_PATH,
  ON_SUPEROFFICE_EVENT,
  SUPEROFFICE_INBOX,
  SUPEROFFICE_TENANT_STATUS,
  SUPEROFFICE_WEBHOOK_ROUTE,
  SUPEROFFICE_WEBHOOKS,
} from './constants.js'
export { OnSuperOfficeEvent } from './on-superoffice-event.decorator.js'
export { InjectSuperOfficeWebhooks, SuperOfficeWebhooksModule } from './superoffice-webhooks.module.js'
export {
  SUPEROFFICE_WEBHOOKS_OPTIONS,
  type SuperOfficeWebhooksModuleExtras,
  type SuperOfficeWebhooksModuleOptions,
} from './superoffice-webhooks.module-definition.js'
