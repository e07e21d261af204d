/** Injection token of the `SuperOfficeWebhooks` receiver the module creates. */
export const SUPEROFFICE_WEBHOOKS = Symbol.for('@superoffice-webhooks/nestjs:webhooks')
/** Metadata key under which `@OnSuperOfficeEvent` records its selectors. */
export const ON_SUPEROFFICE_EVENT = '@superoffice-webhooks/nestjs:on-event'
/** Where the route is mounted unless `path` says otherwise (after the global prefix). */
export const DEFAULT_WEBHOOK_PATH = 'webhooks/superoffice'
/** Injection token of the inbox the module created or was given (`inbox` option), if any. */
export const SUPEROFFICE_INBOX = Symbol.for('@superoffice-webhooks/nestjs:inbox')
/**
 * Metadata key set on the webhook controller and its route, so global guards and interceptors
 * can leave SuperOffice's deliveries alone: `reflector.getAllAndOverride(SUPEROFFICE_WEBHOOK_ROUTE,
 * [context.getHandler(), context.getClass()])` is `true` there.
 */
export const SUPEROFFICE_WEBHOOK_ROUTE = '@superoffice-webhooks/nestjs:webhook-route'
/** Where the tenant status route is mounted when `tenantStatusPath` is `true`. */
export const DEFAULT_TENANT_STATUS_PATH = 'superoffice/tenant-status'
/** Injection token of the tenant status receiver (`tenantStatus` option), if any. */
export const SUPEROFFICE_TENANT_STATUS = Symbol.for('@superoffice-webhooks/nestjs:tenant-status')
