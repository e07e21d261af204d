import { defineNitroPlugin } from '#imports'
import { MISSING_SECRET, useInbox, useSuperOfficeWebhooks, webhookConfig } from './webhooks.js'

// At start-up: say which variable to set when no secret is configured (deliveries would be
// answered 500 secret_unavailable until it is). On close: let early-answered work finish.
export default defineNitroPlugin((nitroApp: { hooks: { hook(name: 'close', fn: () => Promise<void>): unknown } }) => {
  const config = webhookConfig()
  const tenants = config.tenantSecrets
  const hasTenants = typeof tenants === 'string' ? tenants.length > 2 : Object.keys(tenants ?? {}).length > 0
  if (!config.secret && !hasTenants) console.error(`[superoffice-webhooks] ${MISSING_SECRET}`)
  // With the inbox on, this server also runs the worker for the handler files (unless worker: false).
  const inbox = useInbox()
  const wanted = webhookConfig().options?.inbox
  const worker = inbox && wanted && wanted.worker !== false ? inbox.work(useSuperOfficeWebhooks()) : undefined
  nitroApp.hooks.hook('close', async () => {
    await useSuperOfficeWebhooks().drain()
    await worker?.close()
    await inbox?.close()
  })
})
