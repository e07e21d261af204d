import { defineNitroPlugin } from '#imports'
import { MISSING_SECRET, useInbox, useSuperOfficeWebhooks, webhookConfig } from './webhooks.js'

// At start-up: say which variable to set when no secret is configured (deliveries would be
// answered 500 secret_unavailable until it is). On close: let early-answered work finish.
export default defineNitroPlugin((nitroApp: { hooks: { hook(name: 'close', fn: () => Promise<void>): unknown } }) => {
  const config = webhookConfig()
  const tenants = config.tenantSecrets
  const hasTenants = typeof tenants === 'string' ? tenants.length > 2 : Object.keys(tenants ?? {}).length > 0
  if (!config.secret && !hasTenants) console.error(`[superoffice-webhooks] ${MISSING_SECRET}`)
  // With an inbox file, this server also runs the worker for the handler files (unless worker:
  // false); core starts and closes it, the module knows no queue engine.
  const worker = config.options?.worker ?? true
  if (useInbox() && worker !== false) {
    useSuperOfficeWebhooks()
      .start(typeof worker === 'object' ? worker : {})
      .catch((error: unknown) =>
        console.error(`[superoffice-webhooks] the inbox worker did not start: ${(error as Error).message}`),
      )
  }
  nitroApp.hooks.hook('close', () => useSuperOfficeWebhooks().close())
})
